import LiquidationModel
import Postgres

/// What can go wrong in the store layer, with what a person needs to act on it.
public enum StoreError: Error, Sendable, CustomStringConvertible {
    /// The `liquidations` schema is missing or older than this binary expects.
    case schemaNotMigrated(pending: [String])
    /// An applied migration's file was changed after it ran.
    case migrationEdited(fileName: String, appliedChecksum: String, fileChecksum: String)
    /// The database has a migration this binary does not know (a newer liqsync applied it).
    case unknownAppliedMigration(version: Int, name: String)
    /// A migration older than the newest applied one is not applied (files renumbered or lost).
    case migrationOutOfOrder(fileName: String, newestApplied: Int)
    /// The embedded migration files are malformed (a build problem, not a user's).
    case invalidMigrationFile(fileName: String, reason: String)
    /// A migration's SQL failed; nothing of it was kept.
    case migrationFailed(fileName: String, PostgresError)
    /// A migration could not get its locks within the runner's `retryFor`: sessions kept holding
    /// what it needs (a long report, an idle transaction). Nothing of it was kept.
    case migrationBlocked(fileName: String, waited: Duration, PostgresError)
    case assetNotTracked(AssetCode)
    /// `remove` without `--purge` on an asset that has stored hours.
    case assetHasData(AssetCode, storedHours: Int64)
    /// The answer would turn `count` of the window's `stored` hours with liquidations into empty
    /// ones, more than the `allowed` (see `EmptinessGuard`).
    case vanishingHours(asset: AssetCode, window: HourWindow, count: Int, stored: Int, first: UTCHour, last: UTCHour, allowed: Int)
    /// An asset with nothing stored got no record at all over a long window.
    case emptyFirstLoad(asset: AssetCode, window: HourWindow, hours: Int, limit: Int)
    /// A chunk reaching past the last settled hour (a clock or planning error, never written).
    case unsettledWindow(asset: AssetCode, window: HourWindow, settledEnd: UTCHour)
    /// The asset's claim no longer holds (it expired, or its session ended, and another liqsync
    /// may have taken the asset) when a chunk was about to commit: nothing of the chunk is kept.
    case claimLost(AssetCode)
    /// Any other database error, with what we were doing.
    case database(operation: String, PostgresError)

    public var description: String {
        switch self {
        case .schemaNotMigrated(let pending):
            let list = pending.prefix(3).joined(separator: ", ") + (pending.count > 3 ? ", …" : "")
            return "the database schema is not up to date (pending: \(list)); run 'liqsync migrate' first"
        case .migrationEdited(let fileName, let applied, let file):
            return "migration \(fileName) was edited after it was applied (checksum in database \(applied.prefix(12)), "
                + "in this binary \(file.prefix(12))); applied migrations must not change: restore the file and "
                + "put the change in a new migration"
        case .unknownAppliedMigration(let version, let name):
            return "the database has migration \(version) (\(name)) that this liqsync does not know; "
                + "it was migrated by a newer release: upgrade liqsync"
        case .migrationOutOfOrder(let fileName, let newest):
            return "migration \(fileName) is not applied, but migration \(newest) is: migrations must be "
                + "numbered after every applied one"
        case .invalidMigrationFile(let fileName, let reason):
            return "embedded migration \(fileName) is invalid: \(reason)"
        case .migrationFailed(let fileName, let error):
            return "migration \(fileName) failed and was rolled back: \(error)"
        case .migrationBlocked(let fileName, let waited, let error):
            return "migration \(fileName) could not get its locks in \(waited.components.seconds) s (other sessions kept holding "
                + "what it needs: a long report, an idle transaction; pg_stat_activity names them) and was rolled back: \(error); "
                + "run 'liqsync migrate' again, or give it longer with --retry-for"
        case .assetNotTracked(let asset):
            return "asset '\(asset)' is not tracked (see 'liqsync assets list')"
        case .assetHasData(let asset, let hours):
            return "asset '\(asset)' has \(hours) stored hours; 'liqsync assets disable \(asset)' stops syncing and "
                + "keeps them, 'liqsync assets remove \(asset) --purge' deletes them"
        case .vanishingHours(let asset, let window, let count, let stored, let first, let last, let allowed):
            return "refused to write \(asset) \(window): the answer would empty \(count) of the \(stored) stored hours "
                + "with liquidations (\(first) to \(last)), more than the \(allowed) allowed (an outage upstream looks "
                + "like this); nothing was changed. If Kaiko really removed them, run again with "
                + "--max-vanishing-share 1 --max-vanishing-hours \(count)"
        case .emptyFirstLoad(let asset, let window, let hours, let limit):
            return "refused to store \(asset) \(window) as \(hours) hours without liquidations: Kaiko sent no record "
                + "at all and nothing is stored for \(asset) yet, which is how an unknown asset code can be answered "
                + "(more than \(limit) empty hours). Check the code; if \(asset) really had no liquidations then, run "
                + "again with --max-vanishing-hours \(hours)"
        case .unsettledWindow(let asset, let window, let settledEnd):
            return "refused to write \(asset) \(window): it reaches past the last settled hour (hours before "
                + "\(settledEnd)); an hour is stored only once it has ended and settled"
        case .claimLost(let asset):
            return "the claim on \(asset) was lost before the chunk committed (its lease ended or its database session did, "
                + "and another liqsync may have taken the asset); nothing of the chunk was written, the next pass takes the asset up again"
        case .database(let operation, let error):
            return "\(operation): \(error)"
        }
    }
}

extension StoreError {
    /// Wraps a database error, recognising a database that was never migrated.
    static func wrap(_ error: PostgresError, _ operation: String) -> StoreError {
        if error.sqlState == PostgresError.SQLState.undefinedTable {
            return .schemaNotMigrated(pending: ["0001_initial.sql"])
        }
        return .database(operation: operation, error)
    }
}

/// Runs `body` and turns a `PostgresError` into a `StoreError` naming the operation.
func storeOperation<T>(_ operation: String, _ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch let error as PostgresError {
        throw StoreError.wrap(error, operation)
    }
}

extension StoreError: PostgresErrorCarrying {
    /// The server's error inside, for the connection pool.
    public var postgresError: PostgresError? {
        switch self {
        case .database(_, let error), .migrationFailed(_, let error), .migrationBlocked(_, _, let error): error
        default: nil
        }
    }
}
