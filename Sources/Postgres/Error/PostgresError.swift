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

    public var description: String {
        var text = ""
        if let statement { text += "\(statement): " }
        text += message
        if let sqlState { text += " (SQLSTATE \(sqlState))" }
        if let detail { text += "; detail: \(detail)" }
        if let hint { text += "; hint: \(hint)" }
        return text
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
    }
}
