import KaikoAPI
import LiquidationStore
import Postgres

/// What kind of failure an error is, decided in this one place for every layer's errors: the
/// per-asset outcome of a pass, the scheduler's reaction and the process's exit status all
/// derive from it, so `liqsync sync` and every other command agree on what a deadlock or a
/// refused privilege is.
public enum FailureKind: Sendable, Hashable, CaseIterable {
    /// The request itself is wrong: an asset not tracked, an empty range, a `--to` past the
    /// settled hours.
    case usage
    /// The API sent data that fails validation, does not know the asset, or an answer the
    /// writer refuses; nothing of it was written.
    case badData
    /// The database cannot be reached at all.
    case unavailable
    /// The operating system refused: a program could not start, an address could not be bound.
    case operatingSystem
    /// Worth trying again: the network, 5xx and rate limits past the retry budget, a lost
    /// connection, a deadlock or serialization failure, a statement or lock timeout.
    case temporary
    /// PostgreSQL or Kaiko refused for lack of permission.
    case access
    /// The setup is wrong: schema not migrated, a migration edited, bad configuration, a local
    /// clock ahead of the database's.
    case configuration
    /// A bug or an answer nobody planned for: worth a report.
    case internalError

    public init(classifying error: any Error) {
        switch error {
        case let error as KaikoError: self = Self.kind(of: error)
        case let error as StoreError: self = Self.kind(of: error)
        case let error as PostgresError: self = Self.kind(of: error)
        case is BackfillError: self = .usage
        case is ClockAhead: self = .configuration
        case let failure as AssetFailure: self = FailureKind(classifying: failure.underlying)
        default: self = .internalError
        }
    }

    private static func kind(of error: KaikoError) -> FailureKind {
        switch error {
        case .unauthorized, .forbidden: return .access
        case .retriesExhausted, .referenceDataUnavailable: return .temporary
        case .unknownAsset, .malformedResponse, .invalidRecord, .paginationLoop, .foreignNextURL, .tooManyPages: return .badData
        case .invalidConfiguration, .badRequest, .untrustedCertificate: return .configuration
        case .unexpectedStatus: return .internalError
        }
    }

    private static func kind(of error: StoreError) -> FailureKind {
        switch error {
        case .schemaNotMigrated, .migrationEdited, .unknownAppliedMigration, .migrationOutOfOrder: return .configuration
        case .database(_, let underlying), .migrationFailed(_, let underlying): return kind(of: underlying)
        case .migrationBlocked: return .temporary
        case .assetNotTracked, .assetHasData: return .usage
        case .vanishingHours, .emptyFirstLoad: return .badData
        case .claimLost: return .temporary
        case .invalidMigrationFile, .unsettledWindow: return .internalError
        }
    }

    private static func kind(of error: PostgresError) -> FailureKind {
        // A standby, a server shutting down or starting: the next attempt may reach the primary.
        if error.isWrongServer { return .temporary }
        switch error.code {
        case .connectionFailed: return .unavailable
        case .connectionLost: return .temporary
        case .invalidConnectionString: return .configuration
        case .server: break
        default: return .internalError
        }
        guard let state = error.sqlState else { return .internalError }
        if state == PostgresError.SQLState.insufficientPrivilege || state.hasPrefix("28") { return .access }
        if state == PostgresError.SQLState.invalidCatalogName { return .configuration }
        // Connection exceptions, shutdowns, out of resources, serialization failures, deadlocks,
        // statement and lock timeouts, a prepared statement the session lost (prepared again):
        // the next attempt may find the way clear.
        let retryable = [
            "40001", "40P01", PostgresError.SQLState.queryCanceled, PostgresError.SQLState.lockNotAvailable,
            PostgresError.SQLState.invalidStatementName,
        ]
        if state.hasPrefix("08") || state.hasPrefix("57P") || state.hasPrefix("53") || retryable.contains(state) {
            return .temporary
        }
        return .internalError
    }
}
