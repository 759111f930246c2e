import Ingest

/// Exit statuses from BSD's sysexits.h, which service managers and scripts understand.
public enum ExitStatus: Int32, Sendable {
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

extension ExitStatus {
    /// The one rule of every command that handles several assets (`sync`, `backfill`,
    /// `reconcile`): success when nothing failed; when the assets that failed all failed the same
    /// way, that way's status (`FailureKind.exitStatus`: 75 temporary, 65 bad data, ...); 1 when
    /// they failed in different ways. `problemsFound` (differences `reconcile` left in place)
    /// counts as one more way, whose status is 1.
    public static func of(assetFailures failures: [FailureKind], problemsFound: Bool = false) -> ExitStatus {
        var statuses = Set(failures.map(\.exitStatus))
        if problemsFound { statuses.insert(.failure) }
        guard let only = statuses.first else { return .success }
        return statuses.count == 1 ? only : .failure
    }
}

/// Turns an error into a one-line message and an exit status: a command's own failures carry
/// their status; every other error's status follows from Ingest's one classification.
public enum ErrorReport {
    public static func status(for error: any Error) -> ExitStatus {
        if let failure = error as? CommandFailure { return failure.status }
        return FailureKind(classifying: error).exitStatus
    }

    /// One line, whatever the error's text (libpq's messages span several).
    public static func message(for error: any Error) -> String {
        OneLine.fold(String(describing: error))
    }
}

extension FailureKind {
    public var exitStatus: ExitStatus {
        switch self {
        case .usage: return .usage
        case .badData: return .dataError
        case .unavailable: return .unavailable
        case .operatingSystem: return .osError
        case .temporary: return .temporaryFailure
        case .access: return .noPermission
        case .configuration: return .configuration
        case .internalError: return .software
        }
    }
}

/// An error a command raises itself, with its exit status.
public struct CommandFailure: Error, CustomStringConvertible {
    public let message: String
    public let status: ExitStatus

    public init(_ message: String, status: ExitStatus) {
        self.message = message
        self.status = status
    }

    public var description: String { message }
}
