import Foundation
import Ingest
import Logging
import Postgres
import Testing

/// Every database wait has a deadline, and a connection that died while idle is found before
/// it is used.
@Suite("Postgres: deadlines, keepalives, idle connections")
struct DeadlineTests {
    func configuration(_ database: TestDatabase, statement: Duration? = .seconds(1), lock: Duration? = .seconds(1))
        -> PostgresConfiguration
    {
        PostgresConfiguration(connectionString: database.connectionString, statementTimeout: statement, lockTimeout: lock)
    }

    @Test func everySessionGetsStatementAndLockTimeoutsAndKeepalives() async throws {
        let database = try await TestDatabase.create()
        let connection = try await PostgresConnection.connect(PostgresConfiguration(connectionString: database.connectionString))
        #expect(try await connection.query("SHOW statement_timeout").scalar(String.self) == "5min")
        #expect(try await connection.query("SHOW lock_timeout").scalar(String.self) == "30s")
        #expect(await connection.connectionParameter("keepalives") == "1")
        #expect(await connection.connectionParameter("keepalives_idle") == "15")
        #expect(await connection.connectionParameter("tcp_user_timeout") == "20000")
        #expect(await connection.connectionParameter("password") == nil)
        // The server probes this client too (the values apply on TCP; a socket shows 0).
        let serverSide = try await connection.query(
            """
            SELECT string_agg(name || '=' || source, ',' ORDER BY name) FROM pg_settings
            WHERE name IN ('tcp_keepalives_idle', 'tcp_keepalives_interval', 'tcp_keepalives_count', 'tcp_user_timeout')
            """
        ).scalar(String.self)
        #expect(serverSide == "tcp_keepalives_count=session,tcp_keepalives_idle=session,tcp_keepalives_interval=session,tcp_user_timeout=session")
        await connection.close()

        // The connection string has the last word; nil leaves the server's setting alone.
        let custom = try await PostgresConnection.connect(PostgresConfiguration(
            connectionString: database.connectionString + " keepalives_idle=60", statementTimeout: nil, lockTimeout: .zero))
        #expect(await custom.connectionParameter("keepalives_idle") == "60")
        #expect(try await custom.query("SHOW statement_timeout").scalar(String.self) == "0")
        #expect(try await custom.query("SHOW lock_timeout").scalar(String.self) == "0")
        await custom.close()
    }

    @Test func aStatementRunningPastItsDeadlineIsCancelledAndTheConnectionStaysUsable() async throws {
        let database = try await TestDatabase.create()
        let connection = try await PostgresConnection.connect(configuration(database))
        let started = ContinuousClock.now
        let error = try await #require(throws: PostgresError.self) { try await connection.query("SELECT pg_sleep(10)") }
        #expect(error.sqlState == PostgresError.SQLState.queryCanceled)
        #expect(started.duration(to: .now) < .seconds(8))
        #expect(try await connection.query("SELECT 1").scalar(Int.self) == 1)
        await connection.close()
    }

    @Test func aStatementWaitingForALockGivesUpAtTheLockTimeout() async throws {
        let database = try await TestDatabase.create()
        let holder = try await database.connect()
        try await holder.execute(script: "CREATE TABLE t (id int)")
        try await holder.execute(script: "BEGIN; LOCK TABLE t IN ACCESS EXCLUSIVE MODE;")
        let waiter = try await PostgresConnection.connect(configuration(database, statement: .seconds(30)))
        let error = try await #require(throws: PostgresError.self) { try await waiter.query("SELECT count(*) FROM t") }
        #expect(error.sqlState == PostgresError.SQLState.lockNotAvailable)
        try await holder.execute(script: "ROLLBACK")
        await holder.close()
        await waiter.close()
    }

    /// The migration lock's wait: not cut short by `lock_timeout`, which applies again to what
    /// the transaction does next.
    @Test func waitingForAnAdvisoryLockIsExemptFromTheLockTimeoutAndOnlyThat() async throws {
        let database = try await TestDatabase.create()
        let holder = try await database.connect()
        let waiter = try await PostgresConnection.connect(configuration(database))
        try await holder.execute(script: "BEGIN")
        #expect(try await holder.tryTransactionAdvisoryLock(42))
        let waiting = Task {
            try await waiter.withTransaction { connection in
                try connection.execute(script: "SET LOCAL statement_timeout = 0")
                try connection.transactionAdvisoryLock(42)
                return try connection.query("SHOW lock_timeout").scalar(String.self)
            }
        }
        // Well past the one-second lock deadline, the waiter is still waiting, without an error.
        try await Task.sleep(for: .seconds(3))
        let waits = try await holder.query(
            """
            SELECT count(*) FROM pg_locks
            WHERE locktype = 'advisory' AND NOT granted
              AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
            """).scalar(Int64.self)
        #expect(waits == 1)
        try await holder.execute(script: "COMMIT")
        #expect(try await waiting.value == "1s", "the lock deadline is back for the rest of the transaction")
        // And the session's own deadlines after it.
        #expect(try await waiter.query("SHOW statement_timeout").scalar(String.self) == "1s")
        await holder.close()
        await waiter.close()
    }

    @Test func anIdleConnectionWhoseSessionDiedIsReplacedBeforeUse() async throws {
        let database = try await TestDatabase.create()
        let pool = ConnectionPool(configuration: database.configuration, logger: Logger(label: "test"), validateAfterIdle: .zero)
        let first = try await pool.withConnection { try await $0.query("SELECT pg_backend_pid()").scalar(Int32.self) }
        try await database.withConnection { admin async throws in
            #expect(try await admin.query("SELECT pg_terminate_backend(\(first))").scalar(Bool.self))
        }
        // The caller never sees the dead session: the pool's ping finds it and reconnects.
        let second = try await pool.withConnection { try await $0.query("SELECT pg_backend_pid()").scalar(Int32.self) }
        #expect(second != first)
        await pool.closeAll()
    }
}
