import Foundation
import Postgres
import Testing

/// Restarts a PostgreSQL server under a live connection. Uses a cluster of its own, so the
/// restart cannot disturb the tests running in parallel on the shared one.
@Suite("Postgres: a server restart is detected and recovered from")
struct PostgresServerRestartTests {
    @Test func restartIsDetectedAndResetReconnects() async throws {
        try await withOwnCluster(named: "liqsync-restart") { cluster in
            let connection = try await PostgresConnection.connect(PostgresConfiguration(connectionString: cluster.connectionString))
            #expect(try await connection.query("SELECT 1").scalar(Int.self) == 1)

            try await cluster.restart()

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
}
