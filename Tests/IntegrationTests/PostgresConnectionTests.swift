import Foundation
import InMemoryLogging
import LiquidationModel
import LiquidationStore
import Logging
import Postgres
import Testing
import TestSupport

@Suite("Postgres: errors, transactions, COPY, locks, connections")
struct PostgresConnectionTests {
    @Test func uniqueViolationCarriesSQLStateDetailAndStatementName() async throws {
        let database = try await TestDatabase.create()
        try await database.withConnection { connection async throws in
            try await connection.execute(script: "CREATE TABLE asset (code text PRIMARY KEY)")
            try await connection.query("INSERT INTO asset VALUES (\("btc"))")
            let error = try await #require(throws: PostgresError.self) {
                try await connection.query("INSERT INTO asset VALUES (\("btc"))", name: "insert asset")
            }
            #expect(error.code == .server)
            #expect(error.sqlState == PostgresError.SQLState.uniqueViolation)
            #expect(error.detail?.contains("(code)=(btc)") == true)
            #expect(error.statement == "insert asset")
            #expect(!error.isConnectionProblem)
            // The connection is still usable after a statement error.
            #expect(try await connection.query("SELECT count(*) FROM asset").scalar(Int64.self) == 1)
        }
    }

    @Test func transactionCommitsOnReturnAndRollsBackOnThrow() async throws {
        struct Abort: Error {}
        let database = try await TestDatabase.create()
        try await database.withConnection { connection async throws in
            try await connection.execute(script: "CREATE TABLE t (id int)")
            try await connection.withTransaction { connection in
                try connection.query("INSERT INTO t VALUES (1)")
            }
            await #expect(throws: Abort.self) {
                try await connection.withTransaction { connection in
                    try connection.query("INSERT INTO t VALUES (2)")
                    throw Abort()
                }
            }
            // A server error inside the body also rolls back, and the connection stays usable.
            await #expect(throws: PostgresError.self) {
                try await connection.withTransaction { connection in
                    try connection.query("INSERT INTO t VALUES (3)")
                    try connection.query("INSERT INTO t VALUES ('not a number')")
                }
            }
            let ids = try await connection.query("SELECT id FROM t ORDER BY id").rows.map { try $0.decode(Int.self, at: 0) }
            #expect(ids == [1])
        }
    }

    @Test func copyLoadsOneHundredThousandRowsExactly() async throws {
        let database = try await TestDatabase.create()
        try await database.withConnection { connection async throws in
            try await connection.execute(
                script: "CREATE TABLE t (id bigint PRIMARY KEY, label text, amount numeric, at timestamptz)")
            let base = Date(timeIntervalSince1970: 1_736_294_400)
            let copied = try await connection.copyIn("COPY t (id, label, amount, at) FROM STDIN") { writer in
                for id in 0..<Int64(100_000) {
                    let label: String? = id % 10 == 0 ? nil : "r\t\(id)\n\\"
                    try writer.writeRow(id, label, DecimalAmount("\(id).000000001")!, base.addingTimeInterval(Double(id) * 3600))
                }
            }
            #expect(copied == 100_000)
            let row = try #require(
                try await connection.query(
                    "SELECT count(*), count(label), sum(amount)::text, max(at), min(label) FILTER (WHERE id = 1) FROM t"
                ).rows.first)
            let (count, labelled, total, latest, first) = try row.decode(
                Int64.self, Int64.self, String.self, Date.self, String?.self)
            #expect(count == 100_000)
            #expect(labelled == 90_000)
            #expect(total == "4999950000.000100000")
            #expect(latest == base.addingTimeInterval(99_999 * 3600))
            #expect(first == "r\t1\n\\")
        }
    }

    @Test func copyThatThrowsKeepsNothing() async throws {
        struct Abort: Error {}
        let database = try await TestDatabase.create()
        try await database.withConnection { connection async throws in
            try await connection.execute(script: "CREATE TABLE t (id bigint)")
            await #expect(throws: Abort.self) {
                try await connection.copyIn("COPY t FROM STDIN") { writer in
                    for id in 0..<Int64(50_000) { try writer.writeRow(id) }
                    throw Abort()
                }
            }
            #expect(try await connection.query("SELECT count(*) FROM t").scalar(Int64.self) == 0)
        }
    }

    @Test func copyOfABadRowReportsTheServerError() async throws {
        let database = try await TestDatabase.create()
        try await database.withConnection { connection async throws in
            try await connection.execute(script: "CREATE TABLE t (id bigint PRIMARY KEY)")
            let error = try await #require(throws: PostgresError.self) {
                try await connection.copyIn("COPY t FROM STDIN") { writer in
                    try writer.writeRow(Int64(1))
                    try writer.writeRow(Int64(1))
                }
            }
            #expect(error.sqlState == PostgresError.SQLState.uniqueViolation)
            #expect(try await connection.query("SELECT count(*) FROM t").scalar(Int64.self) == 0)
        }
    }

    @Test func aTransactionAdvisoryLockExcludesOtherSessionsUntilItsTransactionEnds() async throws {
        let database = try await TestDatabase.create()
        let first = try await database.connect()
        let second = try await database.connect()
        let key: Int64 = 7
        try await first.execute(script: "BEGIN")
        #expect(try await first.tryTransactionAdvisoryLock(key))
        #expect(try await second.withTransaction { try $0.tryTransactionAdvisoryLock(key) } == false)
        try await first.execute(script: "COMMIT")
        #expect(try await second.withTransaction { try $0.tryTransactionAdvisoryLock(key) })
        // Its own transaction's end freed it again.
        #expect(try await first.withTransaction { try $0.tryTransactionAdvisoryLock(key) })
        // A session-level one lasts until it is released, across transactions.
        #expect(try await first.tryAdvisoryLock(key))
        #expect(try await second.withTransaction { try $0.tryTransactionAdvisoryLock(key) } == false)
        #expect(try await second.tryAdvisoryLock(key) == false)
        #expect(try await first.advisoryUnlock(key))
        #expect(try await second.tryAdvisoryLock(key))
        await first.close()
        await second.close()
    }

    @Test func blockingLockWaitDoesNotStallOtherConnections() async throws {
        let database = try await TestDatabase.create()
        let holder = try await database.connect()
        let waiter = try await database.connect()
        let key: Int64 = 8
        try await holder.execute(script: "BEGIN")
        #expect(try await holder.tryTransactionAdvisoryLock(key))
        let waiting = Task { try await waiter.withTransaction { try $0.query("SELECT pg_advisory_xact_lock(\(key))") } }
        // First, that the waiter really is blocked inside libpq: the server shows its request.
        let blocked = try await eventually {
            try await holder.query(
                """
                SELECT count(*) FROM pg_locks
                WHERE locktype = 'advisory' AND NOT granted
                  AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
                """
            ).scalar(Int64.self) == 1
        }
        #expect(blocked)
        // While it is, other connections (and this task, on the cooperative pool) keep working.
        let other = try await database.connect()
        for _ in 0..<5 {
            #expect(try await other.query("SELECT 1").scalar(Int.self) == 1)
            #expect(try await holder.query("SELECT 1").scalar(Int.self) == 1)
        }
        await other.close()
        try await holder.execute(script: "COMMIT")
        try await waiting.value
        await holder.close()
        await waiter.close()
    }

    @Test func connectionFailureMessageNeverContainsThePassword() async throws {
        try TestCluster.requireRunning()
        let secret = "Sup3rS3cretPw"
        let attempts = [
            "postgresql://analyst:\(secret)@127.0.0.1:1/liq?connect_timeout=2",
            "host=127.0.0.1 port=1 user=analyst password=\(secret) connect_timeout=2",
            "host=127.0.0.1 port password=\(secret)",  // malformed: libpq may quote fragments
            "postgresql://analyst:\(secret)@[::1:bad/liq",
            // libpq ends the credentials at the first '@' and would take "tP4ss@127.0.0.1" for the host.
            "postgresql://analyst:S3cr@\(secret)@127.0.0.1:1/liq",
            // libpq would read "Sup3rS3" as the password and complain about "cretPw".
            "host=127.0.0.1 port=1 password=Sup3rS3 cretPw",
            "postgresql://analyst:Sup3r/S3cretPw@127.0.0.1:1/liq",
        ]
        for connectionString in attempts {
            let error = try await #require(throws: PostgresError.self) {
                _ = try await PostgresConnection.connect(PostgresConfiguration(connectionString: connectionString))
            }
            #expect([.connectionFailed, .invalidConnectionString].contains(error.code))
            for piece in [secret, "Sup3rS3", "cretPw", "S3cr"] {
                #expect(!error.description.contains(piece), "\(error)")
            }
            #expect(!error.description.contains(secret), "\(error)")
            #expect(!String(reflecting: error).contains(secret))
            #expect(!PostgresConfiguration(connectionString: connectionString).description.contains(secret))
        }
    }

    @Test func wrongPasswordIsReportedWithoutIt() async throws {
        let database = try await TestDatabase.create()
        let role = "pw_\(UUID().uuidString.prefix(6).lowercased())"
        try await database.withConnection { connection async throws in
            try await connection.execute(script: "CREATE ROLE \(role) LOGIN PASSWORD 'right-password-123'")
        }
        let port = ProcessInfo.processInfo.environment["PGPORT"] ?? "5432"
        let error = try await #require(throws: PostgresError.self) {
            _ = try await PostgresConnection.connect(
                PostgresConfiguration(
                    connectionString: "postgresql://\(role):wrong-password-456@127.0.0.1:\(port)/\(database.name)"))
        }
        #expect(error.description.contains("password authentication failed"))
        #expect(!error.description.contains("wrong-password-456"))
        // The right password over TCP works (SCRAM).
        let connection = try await PostgresConnection.connect(
            PostgresConfiguration(
                connectionString: "postgresql://\(role):right-password-123@127.0.0.1:\(port)/\(database.name)"))
        #expect(try await connection.query("SELECT current_user").scalar(String.self) == role)
        await connection.close()
    }

    @Test func serverNoticesAndWarningsGoToTheLogger() async throws {
        let database = try await TestDatabase.create()
        let logs = InMemoryLogHandler()
        var logger = Logger(label: "test") { _ in logs }
        logger.logLevel = .debug
        let connection = try await database.connect(logger: logger)
        try await connection.execute(script: "DO $$ BEGIN RAISE NOTICE 'hello notice'; RAISE WARNING 'careful now'; END $$")
        await connection.close()
        let entries = logs.entries
        #expect(entries.contains { $0.level == .debug && "\($0.message)".contains("hello notice") })
        #expect(entries.contains { $0.level == .warning && "\($0.message)".contains("careful now") })
    }

    /// On a session of its own a statement is parsed and planned once, then run by name; behind a
    /// transaction pooler nothing is prepared, and a session that lost its statements (a pooler's
    /// DISCARD ALL) fails the one statement and prepares again.
    @Test func aSessionPreparesEachStatementOnceAndPreparesAgainWhatItLost() async throws {
        let database = try await TestDatabase.create()
        let prepared: PostgresQuery = "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE 'SELECT sum(n)%'"
        try await database.withConnection { connection async throws in
            for limit in [3, 5, 7] {
                #expect(try await connection.query("SELECT sum(n) FROM generate_series(1, \(limit)) AS n").scalar(Int64.self)
                    == Int64(limit * (limit + 1) / 2))
            }
            #expect(try await connection.query(prepared).scalar(Int64.self) == 1, "one statement, prepared once")

            // Lost outside a transaction: prepared again and run, unseen.
            try await connection.execute(script: "DEALLOCATE ALL")
            #expect(try await connection.query("SELECT sum(n) FROM generate_series(1, \(4)) AS n").scalar(Int64.self) == 10)
            // Lost inside one: the transaction fails (a temporary failure to the caller, who runs
            // it again), and the next prepares the statement again.
            try await connection.execute(script: "DEALLOCATE ALL")
            let lost = try await #require(throws: PostgresError.self) {
                try await connection.withTransaction { connection in
                    try connection.query("SELECT sum(n) FROM generate_series(1, \(4)) AS n")
                }
            }
            #expect(lost.sqlState == "26000")
            let again = try await connection.withTransaction { connection in
                try connection.query("SELECT sum(n) FROM generate_series(1, \(4)) AS n").scalar(Int64.self)
            }
            #expect(again == 10)
        }

        var pooled = database.configuration
        pooled.pooling = .transaction
        let connection = try await PostgresConnection.connect(pooled)
        _ = try await connection.query("SELECT sum(n) FROM generate_series(1, \(3)) AS n")
        // Its own transaction: behind a real pooler this count could be another session's.
        #expect(try await connection.query(prepared).scalar(Int64.self) == 0, "nothing prepared behind a transaction pooler")
        await connection.close()
    }

    @Test func closedConnectionRefusesWork() async throws {
        let database = try await TestDatabase.create()
        let connection = try await database.connect()
        await connection.close()
        let error = try await #require(throws: PostgresError.self) { try await connection.query("SELECT 1") }
        #expect(error.code == .connectionClosed)
    }

    @Test func nestedTransactionIsRefused() async throws {
        let database = try await TestDatabase.create()
        try await database.withConnection { connection async throws in
            let error = try await #require(throws: PostgresError.self) {
                try await connection.withTransaction { connection in
                    try connection.withTransaction { _ in 1 }
                }
            }
            #expect(error.code == .misuse)
        }
    }

    @Test func serverSideCancellationOfTheSessionIsDetected() async throws {
        let database = try await TestDatabase.create()
        let victim = try await database.connect()
        let killer = try await database.connect()
        let pid = try await victim.query("SELECT pg_backend_pid()").scalar(Int32.self)
        #expect(try await killer.query("SELECT pg_terminate_backend(\(pid))").scalar(Bool.self))
        let error = try await #require(throws: PostgresError.self) { try await victim.query("SELECT 1") }
        #expect(error.isConnectionProblem, "\(error)")
        #expect(await victim.isUsable == false)
        // Not silently reused: the next call fails fast until the caller resets.
        let again = try await #require(throws: PostgresError.self) { try await victim.query("SELECT 1") }
        #expect(again.code == .connectionLost)
        try await victim.reset()
        #expect(try await victim.query("SELECT 1").scalar(Int.self) == 1)
        await victim.close()
        await killer.close()
    }
}
