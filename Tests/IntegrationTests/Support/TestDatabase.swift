import Foundation
import Logging
import Postgres
import Testing

/// The throwaway PostgreSQL cluster that `scripts/test` starts, found through libpq's own
/// environment variables (PGHOST, PGPORT, PGUSER), and a fresh database per test.
enum TestCluster {
    /// The cluster's directory (socket, data, env file), exported by `scripts/pg-cluster`.
    static var directory: String? { ProcessInfo.processInfo.environment["LIQSYNC_TEST_PGDIR"] }

    /// Fails the test with a useful message when the suite was not started by `scripts/test`.
    static func requireRunning() throws {
        guard directory != nil, ProcessInfo.processInfo.environment["PGHOST"] != nil else {
            Issue.record("no test PostgreSQL cluster: run the suite with scripts/test, which starts one")
            throw CancellationError()
        }
    }

    /// The repository root, for scripts the tests call.
    static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
    }
}

/// A database created for one test, so tests can run in parallel without seeing each other.
struct TestDatabase: Sendable {
    let name: String
    /// Where the server is (conninfo words); empty: the shared cluster, through the PG* environment.
    var server = ""

    /// The conninfo of this database; what `server` leaves out comes from the PG* environment.
    var connectionString: String { server.isEmpty ? "dbname=\(name)" : "\(server) dbname=\(name)" }
    var configuration: PostgresConfiguration { PostgresConfiguration(connectionString: connectionString) }

    static func create(prefix: String = "t") async throws -> TestDatabase {
        try TestCluster.requireRunning()
        let name = "\(prefix)_\(UUID().uuidString.prefix(8).lowercased())"
        let admin = try await PostgresConnection.connect(PostgresConfiguration(connectionString: "dbname=postgres"))
        defer { Task { await admin.close() } }
        try await admin.execute(script: "CREATE DATABASE \(name)")
        return TestDatabase(name: name)
    }

    func connect(logger: Logger = Logger(label: "test")) async throws -> PostgresConnection {
        try await PostgresConnection.connect(configuration, logger: logger)
    }

    /// Connects, runs `body`, closes.
    func withConnection<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        let connection = try await connect()
        do {
            let value = try await body(connection)
            await connection.close()
            return value
        } catch {
            await connection.close()
            throw error
        }
    }
}
