import FoundationEssentials
import LiquidationModel
import Postgres

/// The one write path for hourly data, used by sync, backfill and repair alike: one chunk, one
/// transaction, its parts each a unit of its own.
///
/// 1. The guards (`ChunkGuards`, `EmptinessGuard`): a window past the last settled hour, an
///    empty first load, or an answer that would empty many stored hours is refused, and the
///    transaction rolls back with nothing changed.
/// 2. The diff (`StoredWindow`, `ChangedHours`): hours whose fingerprint (`HourFingerprint`)
///    matches the stored one are left alone; re-reading unchanged hours costs one indexed read.
/// 3. An insert strategy: a window with nothing stored is copied straight into the tables
///    (`FreshInsert`); otherwise the changed hours are staged and merged (`StagedMerge`), each
///    change to a stored hour logged (`RevisionLog`).
/// 4. Open hours (`OpenHourChanges`), then the daily rollups of the days whose hours or open
///    hours changed (`DailyRollup`: a fresh window's sums added, `FreshDaySums`; otherwise the
///    days summed again from the tables) and the monthly ones of their months (`MonthlyRollup`,
///    summed from the days; their changes across assets folded, `ExchangeMonthChanges`), the
///    progress rule (`WatermarkRule`), the caller's own progress (`alsoInTransaction`: a
///    backfill's job, the claim's check) and the audit row (`RunRecorder`).
///
/// A crash at any instant leaves either the whole chunk or none of it.
public struct ChunkWriter: Sendable {
    public init() {}

    /// Writes the chunk; `alsoInTransaction` runs in the same transaction after it (a
    /// backfill records its progress there, so progress and data commit together).
    public func write(
        _ chunk: ChunkWrite, on connection: PostgresConnection,
        alsoInTransaction: (@Sendable (isolated PostgresConnection) throws -> Void)? = nil
    ) async throws -> ChunkWriteResult {
        do {
            return try await connection.withTransaction { connection in
                let result = try Self.write(chunk, connection: connection)
                try alsoInTransaction?(connection)
                return result
            }
        } catch let error as PostgresError {
            throw StoreError.wrap(error, "writing \(chunk.asset) \(chunk.window)")
        }
    }

    static func write(_ chunk: ChunkWrite, connection: isolated PostgresConnection) throws -> ChunkWriteResult {
        guard chunk.window.end <= chunk.guards.settledEnd else {
            throw StoreError.unsettledWindow(asset: chunk.asset, window: chunk.window, settledEnd: chunk.guards.settledEnd)
        }
        if EmptinessGuard.firstLoadCheckApplies(chunk),
           try !connection.query(
               "SELECT EXISTS (SELECT 1 FROM liquidations.token_interval WHERE asset = \(chunk.asset))", name: "anything stored"
           ).scalar(Bool.self)
        {
            throw EmptinessGuard.refuseEmptyFirstLoad(chunk)
        }
        let stored = try StoredWindow.read(chunk.asset, chunk.window, connection: connection)
        let storedHours = stored.hours
        let changed = ChangedHours(chunk, stored: stored)
        let vanishing = EmptinessGuard.vanishingHours(storedWithLiquidations: stored.withLiquidations, records: changed.records)
        try EmptinessGuard.checkVanishing(chunk, vanishing: vanishing, storedWithLiquidations: stored.withLiquidations.count)

        var result = ChunkWriteResult(watermark: chunk.window.start)
        result.hoursUnchanged = changed.unchangedHours
        result.exchangeRowsUnchanged = changed.unchangedExchangeRows
        if stored.isEmpty && !changed.isEmpty {
            try FreshInsert.write(changed, chunk: chunk, into: &result, connection: connection)
        } else if !changed.isEmpty {
            let revisesStoredHours = changed.hours.contains { storedHours.contains($0.hour) }
            try StagedMerge.write(
                changed, chunk: chunk, revisesStoredHours: revisesStoredHours, into: &result, connection: connection)
        }

        let openHours = OpenHourChanges(
            window: chunk.window, vanishing: vanishing, storedHours: storedHours, openSince: stored.openSince,
            records: changed.records, readAt: chunk.startedAt, confirmationSeconds: chunk.guards.emptiedHourConfirmationSeconds)
        try openHours.apply(asset: chunk.asset, readAt: chunk.startedAt, connection: connection)
        result.hoursEmptied = openHours.opened.count
        result.openHoursConfirmed = openHours.confirmed.count
        result.openHoursRestored = openHours.restored.count
        let rolledUp = changed.hours.map(\.hour) + openHours.opened + openHours.confirmed + openHours.restored
        if stored.isEmpty && openHours.isEmpty, let sums = FreshDaySums(changed) {
            try DailyRollup.add(sums, asset: chunk.asset, connection: connection)
        } else {
            try DailyRollup.refresh(chunk.asset, hours: rolledUp, connection: connection)
        }
        if let days = DailyRollup.days(holding: rolledUp) {
            try MonthlyRollup.refresh(chunk.asset, days: days, connection: connection)
            try RunningExchangeTotals.refresh(chunk.asset, days: days, connection: connection)
            try ExchangeMonthChanges.fold(connection: connection)
        }

        result.watermark = try WatermarkRule.advance(chunk, connection: connection)
        try RunRecorder.recordSuccess(chunk, result: result, connection: connection)
        return result
    }
}
