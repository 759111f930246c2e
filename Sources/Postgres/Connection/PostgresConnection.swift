import CLibPQ
import Logging

/// One connection to PostgreSQL through libpq.
///
/// An actor whose executor is a thread of its own (`ConnectionThread`): every libpq call, which
/// may block, runs there and never on Swift's cooperative pool, and the `PGconn` pointer is
/// actor state, so no two calls can use it at once. Methods are synchronous inside the actor,
/// so a caller outside awaits each one, while code inside `withTransaction { conn in ... }` calls
/// them directly and no other task can slip a statement into the transaction.
///
/// A connection that breaks is never silently reused: every later call throws
/// `PostgresError.Code.connectionLost` until the caller decides to `reset()` it.
public actor PostgresConnection {
    private let thread: ConnectionThread
    private var handle: OpaquePointer?
    /// Statements prepared on this session, by their SQL (`preparedStatement(for:on:)`), and
    /// how many names were handed out (never reused on a session: a forgotten statement may
    /// still exist there). Names carry a token of this connection's own, as a session pooler
    /// that resets nothing may hand over a server session with another client's statements.
    private var preparedStatements: [String: String] = [:]
    private var preparedNames = 0
    private let preparedNamePrefix: String
    private let noticeSink: NoticeSink
    private let redactor: PasswordRedactor
    public nonisolated let configuration: PostgresConfiguration
    public nonisolated let logger: Logger

    public nonisolated var unownedExecutor: UnownedSerialExecutor {
        thread.asUnownedSerialExecutor()
    }

    private init(configuration: PostgresConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        self.thread = ConnectionThread()
        self.noticeSink = NoticeSink(logger: logger)
        self.redactor = PasswordRedactor(connectionString: configuration.connectionString)
        self.preparedNamePrefix = configuration.preparedStatementPrefix + String(UInt32.random(in: 0...UInt32.max), radix: 36) + "_"
    }

    isolated deinit {
        if let handle { PQfinish(handle) }
        thread.stop()
    }

    /// Opens a connection. Errors never contain the password.
    public static func connect(
        _ configuration: PostgresConfiguration = .init(),
        logger: Logger = Logger(label: "postgres")
    ) async throws(PostgresError) -> PostgresConnection {
        let connection = PostgresConnection(configuration: configuration, logger: logger)
        try await connection.open()
        return connection
    }

    private func open() throws(PostgresError) {
        // A string libpq would misread (or cannot read) never reaches it: its messages would
        // quote pieces of the password.
        if let problem = redactor.problem {
            throw PostgresError(code: .invalidConnectionString, message: problem)
        }
        // Later entries override what the expanded connection string set, earlier ones only
        // fill in what it left out: our defaults go first, the encoding we decode with last.
        let keepalives = configuration.keepalives
        var parameters: [(String, String)] = [
            ("connect_timeout", String(configuration.connectTimeoutSeconds)),
            ("keepalives", "1"),
            ("keepalives_idle", String(keepalives.idleSeconds)),
            ("keepalives_interval", String(keepalives.intervalSeconds)),
            ("keepalives_count", String(keepalives.count)),
            ("tcp_user_timeout", String(keepalives.tcpUserTimeoutMilliseconds)),
        ]
        if let applicationName = configuration.applicationName {
            parameters.insert(("fallback_application_name", applicationName), at: 0)
        }
        if let connectionString = configuration.connectionString {
            parameters.append(("dbname", connectionString))
        }
        parameters.append(("client_encoding", "UTF8"))
        let connection = withCStringArrays(parameters.map(\.0), parameters.map(\.1)) { keywords, values in
            PQconnectdbParams(keywords, values, 1)
        }
        // A failed attempt still allocates a PGconn; it is finished like any other.
        handle = connection
        guard let connection, PQstatus(connection) == CONNECTION_OK else {
            let message = connection.map { lastErrorMessage($0) } ?? "out of memory"
            close()
            throw PostgresError(code: .connectionFailed, message: "cannot connect to PostgreSQL: \(message)")
        }
        noticeSink.install(on: connection)
        try configureSession(connection)
        logger.debug("connected to PostgreSQL", metadata: ["server_version": "\(PQserverVersion(connection))"])
    }

    /// Pins the session settings our decoders rely on, whatever the server or role defaults,
    /// the session's deadlines, and the server's keepalives towards this client. Behind a
    /// transaction pooler nothing is set for a session that is not ours: each transaction sets
    /// its own (`withTransaction`).
    private func configureSession(_ connection: OpaquePointer) throws(PostgresError) {
        guard configuration.pooling != .transaction else { return }
        var settings = configuration.settings(local: false)
        // tcp_user_timeout is a server setting since PostgreSQL 12.
        if PQserverVersion(connection) >= 120_000 { settings += "; " + configuration.serverKeepalives }
        // A client may keep a session idle between statements for a long time on purpose (it
        // holds something there while it waits for other work): a server's idle_session_timeout
        // (PostgreSQL 14 and later) must not end it. A pool pings and replaces its idle connections.
        if PQserverVersion(connection) >= 140_000 { settings += "; SET idle_session_timeout = 0" }
        let result = PQexec(connection, settings)
        _ = try consume(result, on: connection, label: "session settings")
        while let extra = PQgetResult(connection) { PQclear(extra) }
    }

    /// Sets the session's settings again as the configuration has them (after a caller changed
    /// one for a while: a migration lifting the deadlines). Nothing behind a transaction pooler,
    /// where each transaction sets its own.
    public func restoreSessionSettings() throws(PostgresError) {
        guard configuration.pooling != .transaction else { return }
        try execute(script: configuration.settings(local: false), label: "session settings")
    }

    /// The value libpq uses for a connection keyword (`keepalives_idle`, `host`, ...), as set by
    /// the connection string, the environment or this configuration's defaults. Never `password`.
    public func connectionParameter(_ keyword: String) -> String? {
        guard keyword != "password", let handle, let options = PQconninfo(handle) else { return nil }
        defer { PQconninfoFree(options) }
        var option = options
        while let name = option.pointee.keyword {
            if String(cString: name) == keyword { return option.pointee.val.map { String(cString: $0) } }
            option += 1
        }
        return nil
    }

    /// A round trip that proves the connection still works (for a connection that sat idle).
    public func ping() throws(PostgresError) {
        try query("SELECT 1", name: "ping")
    }

    /// Closes the connection. Later calls throw `connectionClosed`.
    public func close() {
        if let handle { PQfinish(handle) }
        handle = nil
        preparedStatements.removeAll()
        preparedNames = 0
    }

    /// Whether libpq still considers the connection usable.
    public var isUsable: Bool {
        guard let handle else { return false }
        return PQstatus(handle) == CONNECTION_OK
    }

    /// Re-establishes a broken connection with the same parameters (`PQreset`).
    public func reset() throws(PostgresError) {
        guard let handle else {
            throw PostgresError(code: .connectionClosed, message: "the connection was closed")
        }
        PQreset(handle)
        preparedStatements.removeAll()  // a new server session
        preparedNames = 0
        guard PQstatus(handle) == CONNECTION_OK else {
            throw PostgresError(
                code: .connectionFailed, message: "cannot reconnect to PostgreSQL: \(lastErrorMessage(handle))")
        }
        try configureSession(handle)
        logger.info("reconnected to PostgreSQL")
    }

    /// Runs one statement with its binds (`PQexecParams`, text format). Behind a transaction
    /// pooler, a statement outside a transaction runs in one of its own, which sets the
    /// session's settings for it.
    @discardableResult
    public func query(_ query: PostgresQuery, name: String? = nil) throws(PostgresError) -> PostgresResult {
        var query = query
        if let name { query.name = name }
        let connection = try liveHandle(for: query.label)
        guard configuration.pooling == .transaction, PQtransactionStatus(connection) == PQTRANS_IDLE else {
            return try run(query, on: connection)
        }
        try execute(script: transactionStart)
        do {
            let result = try run(query, on: connection)
            try execute(script: "COMMIT")
            return result
        } catch {
            rollbackQuietly()
            throw error
        }
    }

    private func run(
        _ query: PostgresQuery, on connection: OpaquePointer, afterLosingItsStatement: Bool = false
    ) throws(PostgresError) -> PostgresResult {
        guard let statement = try preparedStatement(for: query, on: connection) else {
            let result = withCStringArray(query.binds) { values in
                PQexecParams(connection, query.sql, Int32(query.binds.count), nil, values, nil, nil, 0)
            }
            return try consume(result, on: connection, label: query.label)
        }
        let result = withCStringArray(query.binds) { values in
            PQexecPrepared(connection, statement, Int32(query.binds.count), values, nil, nil, 0)
        }
        do {
            return try consume(result, on: connection, label: query.label)
        } catch {
            // The session's statements gone (a pooler's DISCARD ALL), or a plan a schema change
            // made stale: they are prepared again. Outside a transaction nothing was undone, so
            // the statement runs again at once (once); inside one, the caller's retry does.
            let lost = error.sqlState == PostgresError.SQLState.invalidStatementName
            guard lost || error.sqlState == PostgresError.SQLState.featureNotSupported else { throw error }
            preparedStatements.removeAll()
            guard lost else { throw error }
            // Only a reset of the session takes them (DISCARD ALL), or a pooler in transaction
            // mode taken for a session of its own, where this would recur: say so.
            let advice = configuration.lostStatementsAdvice.map { " (\($0))" } ?? ""
            logger.warning(
                "the database session lost this connection's prepared statements; preparing them again\(advice)",
                metadata: ["statement": "\(query.label)"])
            if !afterLosingItsStatement && PQtransactionStatus(connection) == PQTRANS_IDLE {
                return try run(query, on: connection, afterLosingItsStatement: true)
            }
            throw error
        }
    }

    /// The name of `query`'s statement prepared on this session, preparing it on first use;
    /// nil where statements are not prepared. A session of its own keeps them, so a statement
    /// run for every chunk is parsed and planned once instead of every time; behind a
    /// transaction pooler the next transaction may run on a session that never saw them.
    private func preparedStatement(for query: PostgresQuery, on connection: OpaquePointer) throws(PostgresError) -> String? {
        guard configuration.pooling == .session else { return nil }
        if let name = preparedStatements[query.sql] { return name }
        // A client's statements are usually a fixed set; anything beyond this many runs unprepared.
        guard preparedStatements.count < Self.maximumPreparedStatements else { return nil }
        preparedNames += 1
        let name = preparedNamePrefix + String(preparedNames)
        let result = PQprepare(connection, name, query.sql, Int32(query.binds.count), nil)
        _ = try consume(result, on: connection, label: query.label)
        preparedStatements[query.sql] = name
        return name
    }

    private static let maximumPreparedStatements = 200

    /// Runs a script of several statements in one round trip (`PQexec`, the simple query
    /// protocol). No binds: for migrations and fixed SQL only.
    public func execute(script sql: String, label: String = "script") throws(PostgresError) {
        let connection = try liveHandle(for: label)
        let result = PQexec(connection, sql)
        _ = try consume(result, on: connection, label: label)
        // With several statements PQexec returns only the last result; drain anything left.
        while let extra = PQgetResult(connection) { PQclear(extra) }
    }

    /// Runs `body` in a transaction: commits when it returns, rolls back when it throws.
    ///
    /// The body runs on this actor without suspending, so nothing else can use the connection
    /// until the transaction has ended.
    @discardableResult
    public func withTransaction<T: Sendable>(
        _ body: @Sendable (isolated PostgresConnection) throws -> T
    ) throws -> T {
        let connection = try liveHandle(for: "BEGIN")
        guard PQtransactionStatus(connection) == PQTRANS_IDLE else {
            throw PostgresError(code: .misuse, message: "a transaction is already open on this connection")
        }
        try execute(script: transactionStart)
        let value: T
        do {
            value = try body(self)
        } catch {
            rollbackQuietly()
            throw error
        }
        do {
            try query("COMMIT")
        } catch {
            rollbackQuietly()
            throw error
        }
        return value
    }

    /// `BEGIN`; behind a transaction pooler the transaction brings the session's settings with it.
    private var transactionStart: String {
        configuration.pooling == .transaction ? "BEGIN; " + configuration.settings(local: true) : "BEGIN"
    }

    private func rollbackQuietly() {
        guard let handle, PQstatus(handle) == CONNECTION_OK,
              PQtransactionStatus(handle) != PQTRANS_IDLE
        else { return }
        if let result = PQexec(handle, "ROLLBACK") { PQclear(result) }
    }

    /// Streams rows into `COPY ... FROM STDIN` (text format). Returns the number of rows copied.
    /// If `write` throws, the COPY is aborted and nothing it sent is kept.
    @discardableResult
    public func copyIn(
        _ statement: PostgresQuery,
        _ write: (inout PostgresCopyWriter) throws -> Void
    ) throws -> Int {
        guard statement.binds.isEmpty else {
            throw PostgresError(code: .misuse, message: "COPY cannot take bind parameters", statement: statement.label)
        }
        let connection = try liveHandle(for: statement.label)
        guard let start = PQexec(connection, statement.sql) else {
            throw failure(on: connection, label: statement.label)
        }
        guard PQresultStatus(start) == PGRES_COPY_IN else {
            _ = try consume(start, on: connection, label: statement.label)
            throw PostgresError(
                code: .protocolViolation, message: "the statement did not start a COPY FROM STDIN",
                statement: statement.label)
        }
        PQclear(start)
        var writer = PostgresCopyWriter(connection: connection, label: statement.label)
        do {
            try write(&writer)
            try writer.flush()
        } catch {
            PQputCopyEnd(connection, "aborted by the client")
            while let result = PQgetResult(connection) { PQclear(result) }
            throw error
        }
        guard PQputCopyEnd(connection, nil) == 1 else {
            throw failure(on: connection, label: statement.label)
        }
        var copied = 0
        var firstError: PostgresError?
        while let result = PQgetResult(connection) {
            do {
                copied = try consume(result, on: connection, label: statement.label).affectedRows
            } catch {
                firstError = firstError ?? error
            }
        }
        if let firstError { throw firstError }
        return copied
    }

    // MARK: - Handles and results

    private func liveHandle(for label: String) throws(PostgresError) -> OpaquePointer {
        guard let handle else {
            throw PostgresError(code: .connectionClosed, message: "the connection was closed", statement: label)
        }
        guard PQstatus(handle) == CONNECTION_OK else {
            throw PostgresError(
                code: .connectionLost, message: "the connection to PostgreSQL is broken; reset or reconnect first",
                statement: label)
        }
        return handle
    }

    /// Turns a `PGresult` into a value or an error, and frees it.
    private func consume(_ result: OpaquePointer?, on connection: OpaquePointer, label: String) throws(PostgresError)
        -> PostgresResult
    {
        guard let result else { throw failure(on: connection, label: label) }
        defer { PQclear(result) }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY, PGRES_COPY_IN:
            return copyOut(result, label: label)
        default:
            var error = PostgresError(result: result, label: label, redactor: redactor)
            if PQstatus(connection) != CONNECTION_OK { error.code = .connectionLost }
            throw error
        }
    }

    /// An error for a call that returned no result at all (out of memory, or a lost connection).
    private func failure(on connection: OpaquePointer, label: String) -> PostgresError {
        let lost = PQstatus(connection) != CONNECTION_OK
        return PostgresError(
            code: lost ? .connectionLost : .protocolViolation,
            message: redactor.redact(lastErrorMessage(connection)), statement: label)
    }

    private func lastErrorMessage(_ connection: OpaquePointer) -> String {
        let raw = PQerrorMessage(connection).map { String(cString: $0) } ?? ""
        let trimmed = raw.trimmingWhitespace()
        return redactor.redact(trimmed.isEmpty ? "unknown libpq error" : trimmed)
    }

    /// Copies every value out of the result, so nothing points into it after `PQclear`.
    private func copyOut(_ result: OpaquePointer, label: String) -> PostgresResult {
        let rowCount = Int(PQntuples(result))
        let columnCount = Int(PQnfields(result))
        let columns = PostgresColumns(
            names: (0..<columnCount).map { String(cString: PQfname(result, Int32($0))) })
        var rows: [PostgresRow] = []
        rows.reserveCapacity(rowCount)
        for row in 0..<Int32(rowCount) {
            var values: [String?] = []
            values.reserveCapacity(columnCount)
            for column in 0..<Int32(columnCount) {
                if PQgetisnull(result, row, column) == 1 {
                    values.append(nil)
                } else {
                    let length = Int(PQgetlength(result, row, column))
                    let bytes = UnsafeRawPointer(PQgetvalue(result, row, column)!)
                    values.append(String(decoding: UnsafeRawBufferPointer(start: bytes, count: length), as: UTF8.self))
                }
            }
            rows.append(PostgresRow(columns: columns, values: values, statement: label))
        }
        let tag = PQcmdStatus(result).map { String(cString: $0) } ?? ""
        let affected = PQcmdTuples(result).flatMap { Int(String(cString: $0)) } ?? 0
        return PostgresResult(rows: rows, affectedRows: affected, commandTag: tag)
    }
}

extension PostgresError {
    /// The server's error fields, kept apart (SQLSTATE, message, detail, hint).
    init(result: OpaquePointer, label: String, redactor: PasswordRedactor) {
        func field(_ code: Character) -> String? {
            PQresultErrorField(result, Int32(code.asciiValue!)).map { redactor.redact(String(cString: $0)) }
        }
        let message = field("M")
            ?? PQresultErrorMessage(result).map { redactor.redact(String(cString: $0)).trimmingWhitespace() }
            ?? "unknown error"
        self.init(
            code: .server, message: message, sqlState: field("C"), detail: field("D"), hint: field("H"),
            statement: label)
    }
}
