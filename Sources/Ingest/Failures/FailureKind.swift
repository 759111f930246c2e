import KaikoAPI
import LiquidationStore
import Postgres

/// What kind of failure stopped an asset, so the command line can pick an exit status and an
/// operator can tell "try again later" from "fix something".
public enum FailureKind: Sendable, Equatable {
    /// Network, 5xx, rate limits past the retry budget, a lost database connection.
    case temporary
    /// The API sent data that fails validation; nothing of it was written.
    case badData
    /// The API key was refused or lacks access.
    case access
    /// Kaiko does not know the asset.
    case unknownAsset
    /// Schema not migrated, bad configuration.
    case configuration
    /// Anything else (a bug, an unexpected database error).
    case other

    public init(classifying error: any Error) {
        switch error {
        case let error as KaikoError:
            switch error {
            case .unauthorized, .forbidden: self = .access
            case .unknownAsset: self = .unknownAsset
            case .retriesExhausted: self = .temporary
            case .malformedResponse, .invalidRecord, .paginationLoop, .foreignNextURL, .tooManyPages: self = .badData
            case .invalidConfiguration, .badRequest: self = .configuration
            case .unexpectedStatus: self = .other
            }
        case let error as StoreError:
            switch error {
            case .schemaNotMigrated, .migrationEdited, .unknownAppliedMigration, .migrationOutOfOrder: self = .configuration
            case .database(_, let underlying), .migrationFailed(_, let underlying):
                self = FailureKind(classifying: underlying)
            case .vanishingHours, .emptyFirstLoad: self = .badData
            default: self = .other
            }
        case is ClockAhead:
            self = .configuration
        case let error as PostgresError:
            let timedOut = [PostgresError.SQLState.queryCanceled, PostgresError.SQLState.lockNotAvailable]
                .contains(error.sqlState ?? "")
            self = error.isConnectionProblem || timedOut ? .temporary : .other
        default:
            self = .other
        }
    }
}
