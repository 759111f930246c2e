import LiquidationModel

/// Refuses answers that would replace real data with emptiness. An answer can be a well-formed
/// data page and still not be the truth (a gateway that lost its backend, an API that does not
/// know the asset code): hours it leaves out are written as zero rows, so without these checks
/// one such page could erase days of stored liquidations.
///
/// - Vanishing: a chunk may turn at most `maxVanishingHours` stored hours that had liquidations
///   into empty ones. Kaiko's revisions drop an hour or an exchange now and then, never a day.
/// - First load: an asset with nothing stored whose chunk brings no record at all over more
///   than `maxVanishingHours` hours of the dataset is refused: that is how an unknown asset code
///   can be answered, and a dense series of zeros would look like data.
enum EmptinessGuard {
    /// Hours that have liquidations stored and that the chunk's records leave empty, in order.
    static func vanishingHours(storedWithLiquidations: [UTCHour], records byHour: [UTCHour: IntervalRecord]) -> [UTCHour] {
        storedWithLiquidations.filter { hour in byHour[hour].map(\.isEmpty) ?? true }.sorted()
    }

    static func checkVanishing(_ chunk: ChunkWrite, vanishing: [UTCHour]) throws(StoreError) {
        guard vanishing.count > chunk.guards.maxVanishingHours, let first = vanishing.first, let last = vanishing.last
        else { return }
        throw .vanishingHours(
            asset: chunk.asset, window: chunk.window, count: vanishing.count, first: first, last: last,
            limit: chunk.guards.maxVanishingHours)
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
