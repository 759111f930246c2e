import LiquidationModel

/// Refuses answers that would replace real data with emptiness. An answer can be a well-formed
/// data page and still not be the truth (a gateway that lost its backend, an upstream outage, an
/// API that does not know the asset code): hours it leaves out are written as zero rows, so
/// without these checks one such page could erase days of stored liquidations.
///
/// - Vanishing: Kaiko's revisions drop an hour or an exchange now and then; an outage empties
///   most of a window's hours with liquidations at once. So a chunk may turn at most
///   `vanishingFloor` + `maxVanishingShare` of its S stored hours with liquidations into empty
///   ones, and never more than `maxVanishingHours`. The rule depends on what is stored, not on
///   the window's length: whatever the lookback, a window whose five or more active hours all
///   vanish is refused at the defaults. What it lets through stays open (`emptied_hour`) until
///   confirmed, so a smaller outage is repaired when the source recovers.
/// - First load: an asset with nothing stored whose chunk brings no record with liquidations
///   over more than `maxVanishingHours` hours of the dataset is refused: that is how an unknown
///   asset code can be answered, and a dense series of zeros would look like data.
///
/// Emptiness is counted the same way on both sides: an hour is empty when its six totals are
/// zero (`IntervalRecord.isEmpty`, `FigureColumns.hasLiquidations`).
enum EmptinessGuard {

    /// Hours that have liquidations stored and that the chunk's records leave empty, in order.
    static func vanishingHours(storedWithLiquidations: [UTCHour], records byHour: [UTCHour: IntervalRecord]) -> [UTCHour] {
        storedWithLiquidations.filter { hour in byHour[hour].map(\.isEmpty) ?? true }.sorted()
    }

    /// How many of `stored` hours with liquidations a chunk may empty under `guards`.
    static func allowedVanishing(storedWithLiquidations stored: Int, guards: ChunkGuards) -> Int {
        let share = Double(stored) * min(max(guards.maxVanishingShare, 0), 1)
        return min(guards.maxVanishingHours, ChunkGuards.vanishingFloor + Int(share.rounded(.down)))
    }

    static func checkVanishing(_ chunk: ChunkWrite, vanishing: [UTCHour], storedWithLiquidations stored: Int) throws(StoreError) {
        let allowed = allowedVanishing(storedWithLiquidations: stored, guards: chunk.guards)
        guard vanishing.count > allowed, let first = vanishing.first, let last = vanishing.last else { return }
        throw .vanishingHours(
            asset: chunk.asset, window: chunk.window, count: vanishing.count, stored: stored, first: first, last: last,
            allowed: allowed)
    }

    /// Hours of the chunk at or after the dataset's first hour: earlier ones are empty upstream.
    static func datasetHours(of window: HourWindow) -> Int {
        let start = max(window.start, KaikoDataset.firstHour)
        return start < window.end ? start.distance(to: window.end) : 0
    }

    /// Whether the first-load check applies at all (then the writer asks whether anything is
    /// stored for the asset).
    static func firstLoadCheckApplies(_ chunk: ChunkWrite) -> Bool {
        chunk.records.allSatisfy(\.isEmpty) && datasetHours(of: chunk.window) > chunk.guards.maxVanishingHours
    }

    static func refuseEmptyFirstLoad(_ chunk: ChunkWrite) -> StoreError {
        .emptyFirstLoad(
            asset: chunk.asset, window: chunk.window, hours: datasetHours(of: chunk.window),
            limit: chunk.guards.maxVanishingHours)
    }
}
