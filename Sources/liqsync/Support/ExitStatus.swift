import Ingest
import KaikoAPI
import LiquidationStore
import Postgres

/// Exit statuses from BSD's sysexits.h, which service managers and scripts understand.
enum ExitStatus: Int32 {
    case success = 0
    /// Something the command checked is not right (e.g. `verify` found problems).
    case failure = 1
    /// The command line was wrong: a bad option, an invalid asset code or date.
    case usage = 64
    /// The input data was wrong (an upstream page that fails validation).
    case dataError = 65
    /// A service we need is not there: the database cannot be reached.
    case unavailable = 69
    /// A bug or an unexpected answer: worth a report.
    case software = 70
    /// The operating system refused: a program could not be started or waited for.
    case osError = 71
    /// Try again later: a connection lost mid-way, a deadlock, the server shutting down.
    case temporaryFailure = 75
    /// The database refused us for lack of privileges.
    case noPermission = 77
    /// The setup is wrong: schema not migrated, migrations edited, missing configuration.
    case configuration = 78
}

/// The one place that turns an error into a one-line message and an exit status.
enum ErrorReport {
    static func status(for error: any Error) -> ExitStatus {
        switch error {
        case let error as CommandFailure:
            return error.status
        case let error as StoreError:
            return status(for: error)
        case let error as PostgresError:
            return status(for: error)
        case let error as KaikoError:
            return FailureKind(classifying: error).exitStatus
        case is BackfillError:
            return .usage
        case is ClockAhead:
            return .configuration
        default:
            return .software
        }
    }

    static func status(for error: StoreError) -> ExitStatus {
        switch error {
        case .schemaNotMigrated, .migrationEdited, .unknownAppliedMigration, .migrationOutOfOrder:
            return .configuration
        case .invalidMigrationFile:
            return .software
        case .migrationFailed(_, let underlying), .database(_, let underlying):
            return status(for: underlying)
        case .assetNotTracked, .assetHasData:
            return .usage
        case .vanishingHours, .emptyFirstLoad:
            return .dataError
        case .unsettledWindow:
            return .software
        }
    }

    static func status(for error: PostgresError) -> ExitStatus {
        switch error.code {
        case .connectionFailed: return .unavailable
        case .invalidConnectionString: return .configuration
        case .connectionLost: return .temporaryFailure
        case .server: break
        default: return .software
        }
        guard let state = error.sqlState else { return .software }
        if state == PostgresError.SQLState.insufficientPrivilege || state.hasPrefix("28") { return .noPermission }
        if state == PostgresError.SQLState.invalidCatalogName { return .configuration }
        // Connection exceptions, shutdowns, serialization failures, deadlocks, out of resources.
        // Statement and lock timeouts (57014, 55P03) too: the next run may find the way clear.
        if state.hasPrefix("08") || state.hasPrefix("57P") || state.hasPrefix("53") || state == "40001"
            || state == "40P01" || state == PostgresError.SQLState.queryCanceled || state == PostgresError.SQLState.lockNotAvailable
        {
            return .temporaryFailure
        }
        return .software
    }

    static func message(for error: any Error) -> String {
        String(describing: error)
    }
}

/// An error a command raises itself, with its exit status.
struct CommandFailure: Error, CustomStringConvertible {
    let message: String
    let status: ExitStatus

    init(_ message: String, status: ExitStatus) {
        self.message = message
        self.status = status
    }

    var description: String { message }
}
