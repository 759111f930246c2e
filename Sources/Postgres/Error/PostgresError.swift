/// An error from the PostgreSQL layer: a failed connection, a lost connection, an error the
/// server reported, or a value that could not be decoded.
///
/// `description` is one line a person can act on; it never contains a password (connection
/// strings are redacted before they reach an error). The server's fields are kept apart so
/// callers can tell a unique violation (`sqlState == "23505"`) from a lost connection.
public struct PostgresError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is. A struct of constants rather than an enum, so new kinds can
    /// be added without breaking exhaustive switches in callers.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        private init(_ name: String) { self.name = name }

        /// The connection could not be established (bad conninfo, unreachable server, auth).
        public static let connectionFailed = Code("connection failed")
        /// The connection broke during a statement; `reset()` or a new connection is needed.
        public static let connectionLost = Code("connection lost")
        /// The connection string is malformed or ambiguous; it was not used (nor shown).
        public static let invalidConnectionString = Code("invalid connection string")
        /// The connection was closed by this process and cannot be used any more.
        public static let connectionClosed = Code("connection closed")
        /// The server rejected a statement; `sqlState` says why.
        public static let server = Code("server error")
        /// A result value did not have the shape the caller asked for.
        public static let decoding = Code("decoding error")
        /// The protocol went somewhere we did not expect (e.g. a COPY that did not start).
        public static let protocolViolation = Code("protocol error")
        /// The API was used in a way it does not support (e.g. nested transactions).
        public static let misuse = Code("misuse")

        public var description: String { name }
    }

    public var code: Code
    /// The SQLSTATE the server sent, e.g. `23505` (unique_violation), `57P01` (admin_shutdown).
    public var sqlState: String?
    /// The primary message (the server's, or libpq's for connection problems).
    public var message: String
    public var detail: String?
    public var hint: String?
    /// The name of the statement that failed (see `PostgresQuery.name`).
    public var statement: String?

    public init(
        code: Code,
        message: String,
        sqlState: String? = nil,
        detail: String? = nil,
        hint: String? = nil,
        statement: String? = nil
    ) {
        self.code = code
        self.message = message
        self.sqlState = sqlState
        self.detail = detail
        self.hint = hint
        self.statement = statement
    }

    /// True when the connection itself is gone and retrying on a fresh connection may succeed.
    public var isConnectionProblem: Bool {
        if code == .connectionLost || code == .connectionFailed { return true }
        // Class 08 is "connection exception"; 57P01..57P03 are shutdown / cannot connect now.
        guard let sqlState else { return false }
        return sqlState.hasPrefix("08") || ["57P01", "57P02", "57P03"].contains(sqlState)
    }

    /// The server is not one that can be written to now: a read-only standby, a primary being
    /// shut down or failed over, a server that is starting up. The connection should be
    /// dropped, so that the next one (a two-host URL with `target_session_attrs=read-write`)
    /// reaches the server that took over.
    public var isWrongServer: Bool { wrongServer != nil }

    /// Why the server is the wrong one: by SQLSTATE, or for a refused connection by libpq's text.
    private var wrongServer: WrongServer? {
        if let byState = sqlState.flatMap(WrongServer.init(sqlState:)) { return byState }
        return code == .connectionFailed ? WrongServer(connectMessage: message) : nil
    }

    public var description: String {
        var text = ""
        if let statement { text += "\(statement): " }
        text += message
        if let sqlState { text += " (SQLSTATE \(sqlState))" }
        if let detail { text += "; detail: \(detail)" }
        if let hint { text += "; hint: \(hint)" }
        if let wrongServer { text += " — \(wrongServer.explanation)" }
        return text
    }
}

/// Why a server is not the one to write to now, in words an operator can act on.
enum WrongServer {
    case readOnly, shuttingDown, startingUp

    init?(sqlState: String) {
        switch sqlState {
        case "25006": self = .readOnly  // read_only_sql_transaction
        case "57P01", "57P02": self = .shuttingDown  // admin_shutdown, crash_shutdown
        case "57P03": self = .startingUp  // cannot_connect_now
        default: return nil
        }
    }

    /// A connection refused before any statement carries no SQLSTATE: libpq's text says it.
    init?(connectMessage message: String) {
        if message.contains("is starting up") || message.contains("is in recovery mode") || message.contains("not yet accepting connections") {
            self = .startingUp
        } else if message.contains("is shutting down") {
            self = .shuttingDown
        } else if message.contains("read-only") && message.contains("target_session_attrs") {
            self = .readOnly
        } else {
            return nil
        }
    }

    var explanation: String {
        switch self {
        case .readOnly:
            "the database is read-only: a standby, or a primary being failed over? Writes need the primary (a two-host URL with "
                + "target_session_attrs=read-write finds it)"
        case .shuttingDown: "the database server is shutting down (a restart, or a failover); a new connection may reach it again"
        case .startingUp: "the database server is starting up (or recovering); a new connection may reach it once it is up"
        }
    }
}

extension PostgresError {
    /// SQLSTATE values this project reacts to by name.
    public enum SQLState {
        public static let uniqueViolation = "23505"
        public static let foreignKeyViolation = "23503"
        public static let checkViolation = "23514"
        /// Also what `statement_timeout` raises.
        public static let queryCanceled = "57014"
        /// What `lock_timeout` raises.
        public static let lockNotAvailable = "55P03"
        public static let adminShutdown = "57P01"
        public static let undefinedTable = "42P01"
        public static let insufficientPrivilege = "42501"
        public static let invalidCatalogName = "3D000"
        /// A prepared statement the session does not have (it was deallocated).
        public static let invalidStatementName = "26000"
        /// Also what a prepared statement raises when a schema change altered its result type.
        public static let featureNotSupported = "0A000"
    }
}
