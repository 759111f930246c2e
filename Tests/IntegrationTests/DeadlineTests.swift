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
