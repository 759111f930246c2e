import Foundation
import Testing

/// A PostgreSQL cluster of a test's own (`scripts/pg-cluster`), for tests that restart the
/// server and so must not disturb the one the other tests share.
struct OwnCluster: Sendable {
    let directory: URL
    let port: String

    /// Superuser over the cluster's socket.
    var connectionString: String { "host=\(directory.path) port=\(port) user=postgres dbname=postgres" }

    /// Restarts the server on the same port; connections to it break.
    func restart() async throws {
        let restarted = try await runProcess(Self.script, ["restart", directory.path])
        try #require(restarted.status == 0, "\(restarted.stderr)")
    }

    static var script: URL { TestCluster.repositoryRoot.appendingPathComponent("scripts/pg-cluster") }
}

/// Runs `body` with a cluster started for it, then stops and removes the cluster whether the
/// body returns or throws (awaited, not a blocking `defer`).
func withOwnCluster<T>(named prefix: String, _ body: (OwnCluster) async throws -> T) async throws -> T {
    try TestCluster.requireRunning()
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString.prefix(8))")
    let started = try await runProcess(OwnCluster.script, ["start", directory.path])
    try #require(started.status == 0, "\(started.stderr)")
    let outcome: Result<T, any Error>
    do {
        let env = try String(contentsOf: directory.appendingPathComponent("env"), encoding: .utf8)
        let port = try #require(env.split(separator: "\n").first { $0.contains("PGPORT") }?.split(separator: "'")[1])
        outcome = .success(try await body(OwnCluster(directory: directory, port: String(port))))
    } catch {
        outcome = .failure(error)
    }
    _ = try? await runProcess(OwnCluster.script, ["stop", directory.path])
    try? FileManager.default.removeItem(at: directory)
    return try outcome.get()
}
