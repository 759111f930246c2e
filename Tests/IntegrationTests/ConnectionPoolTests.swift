import Ingest
import Logging
import Postgres
import Synchronization
import Testing
import TestSupport

/// The pool against a real server: its bound, and its life as a service.
@Suite("Connection pool: a maximum, and a life of its own")
struct ConnectionPoolTests {
    /// Server sessions of `database` other than the caller's.
    func sessions(of database: TestDatabase) async throws -> Int64 {
        try await database.withConnection { admin async throws in
            try await admin.query(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            ).scalar(Int64.self)
        }
    }

    /// Eight bodies at once through a pool of two: never more than two at a time, two server
    /// sessions in all, and every body runs (the others waited their turn).
    @Test func checkoutsBeyondTheMaximumWaitForAConnectionToComeBack() async throws {
        let database = try await TestDatabase.create()
        let pool = ConnectionPool(configuration: database.configuration, logger: Logger(label: "test"), maximumConnections: 2)
        let running = Peak()
        let sessions = await withTaskGroup(of: Int32?.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    try? await pool.withConnection { connection in
                        running.enter()
                        defer { running.leave() }
                        let pid = try await connection.query("SELECT pg_backend_pid()").scalar(Int32.self)
                        try await connection.query("SELECT pg_sleep(0.05)")
                        return pid
                    }
                }
            }
            return await group.reduce(into: [Int32?]()) { $0.append($1) }
        }
        #expect(sessions.compactMap { $0 }.count == 8, "every body ran")
        #expect(Set(sessions.compactMap { $0 }).count <= 2)
        #expect(running.most <= 2)
        #expect(await pool.openConnections <= 2)
        await pool.closeAll()
    }

    /// Run as a service, the pool closes every connection it holds when it is cancelled.
    @Test func aRunningPoolClosesItsConnectionsWhenCancelled() async throws {
        let database = try await TestDatabase.create()
        let pool = ConnectionPool(configuration: database.configuration, logger: Logger(label: "test"), maximumConnections: 3)
        let life = Task { try await pool.run() }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<3 {
                group.addTask {
                    try await pool.withConnection { connection in
                        _ = try await connection.query("SELECT pg_sleep(0.05)")
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(try await sessions(of: database) == 3)
        life.cancel()
        try await life.value
        #expect(await pool.openConnections == 0)
        let closed = await eventually { (try? await sessions(of: database)) == 0 }
        #expect(closed, "the server still shows the pool's sessions")
    }

    /// While it runs, the pool finds an idle connection whose session died and replaces it
    /// between uses, not in the next one.
    @Test func aRunningPoolReplacesADeadIdleConnectionBetweenUses() async throws {
        let database = try await TestDatabase.create()
        let pool = ConnectionPool(
            configuration: database.configuration, logger: Logger(label: "test"), maximumConnections: 1,
            validateAfterIdle: .milliseconds(100))
        let life = Task { try await pool.run() }
        let first = try await pool.withConnection { try await $0.query("SELECT pg_backend_pid()").scalar(Int32.self) }
        try await database.withConnection { admin async throws in
            #expect(try await admin.query("SELECT pg_terminate_backend(\(first))").scalar(Bool.self))
        }
        // The background check reconnects it: a new session appears before anyone asks.
        let replaced = await eventually { (try? await sessions(of: database)) == 1 }
        #expect(replaced, "no new session for the pool's idle connection")
        let second = try await pool.withConnection { try await $0.query("SELECT pg_backend_pid()").scalar(Int32.self) }
        #expect(second != first)
        life.cancel()
        try await life.value
    }
}

/// How many at once, at most.
final class Peak: Sendable {
    private let state = Mutex((now: 0, most: 0))
    func enter() { state.withLock { $0.now += 1; $0.most = max($0.most, $0.now) } }
    func leave() { state.withLock { $0.now -= 1 } }
    var most: Int { state.withLock { $0.most } }
}
