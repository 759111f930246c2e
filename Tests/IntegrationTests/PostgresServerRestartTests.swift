import Foundation
import Postgres
import Testing

/// Restarts a PostgreSQL server under a live connection. Uses a cluster of its own, so the
/// restart cannot disturb the tests running in parallel on the shared one.
@Suite("Postgres: a server restart is detected and recovered from")
struct PostgresServerRestartTests {
    @Test func restartIsDetectedAndResetReconnects() async throws {
        try TestCluster.requireRunning()
        let script = TestCluster.repositoryRoot.appendingPathComponent("scripts/pg-cluster")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("liqsync-restart-\(UUID().uuidString.prefix(8))")
        let started = try await runProcess(script, ["start", directory.path])
        try #require(started.status == 0, "\(started.stderr)")
        defer {
            _ = try? Process.run(script, arguments: ["stop", directory.path]).waitUntilExit()
            try? FileManager.default.removeItem(at: directory)
        }
        let env = try String(contentsOf: directory.appendingPathComponent("env"), encoding: .utf8)
        let port = try #require(env.split(separator: "\n").first { $0.contains("PGPORT") }?.split(separator: "'")[1])

        let configuration = PostgresConfiguration(
            connectionString: "host=\(directory.path) port=\(port) user=postgres dbname=postgres")
        let connection = try await PostgresConnection.connect(configuration)
        #expect(try await connection.query("SELECT 1").scalar(Int.self) == 1)

        let restarted = try await runProcess(script, ["restart", directory.path])
        try #require(restarted.status == 0, "\(restarted.stderr)")

        let error = try await #require(throws: PostgresError.self) { try await connection.query("SELECT 1") }
        #expect(error.isConnectionProblem, "\(error)")
        #expect(await connection.isUsable == false)

        try await connection.reset()
        #expect(try await connection.query("SELECT 2").scalar(Int.self) == 2)
        let timeZone = try await connection.query("SHOW TimeZone").scalar(String.self)
        #expect(timeZone == "UTC", "session settings are applied again after a reset")
        await connection.close()
    }
}
