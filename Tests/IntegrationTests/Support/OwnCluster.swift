import Foundation
import Testing

/// A PostgreSQL cluster of a test's own (`scripts/pg-cluster`), for tests that restart the
/// server and so must not disturb the one the other tests share.
struct OwnCluster: Sendable {
    let directory: URL
    let port: String

    /// Superuser over the cluster's socket.
    var connectionString: String { "host=\(directory.path) port=\(port) user=postgres dbname=postgres" }

    /// Its `postgres` database, as the tests' database helpers take it.
    var database: TestDatabase { TestDatabase(name: "postgres", server: "host=\(directory.path) port=\(port) user=postgres") }

    /// Stops the server at once, as a crash would.
    func kill() async throws { try await script("kill") }

    /// Promotes a standby to a primary.
    func promote() async throws { try await script("promote") }

    private func script(_ command: String) async throws {
        let outcome = try await runProcess(Self.script, [command, directory.path])
        try #require(outcome.status == 0, "pg-cluster \(command): \(outcome.stderr)")
    }

    /// Restarts the server on the same port; connections to it break.
    func restart() async throws {
        let restarted = try await runProcess(Self.script, ["restart", directory.path])
        try #require(restarted.status == 0, "\(restarted.stderr)")
    }

    static var script: URL { TestCluster.repositoryRoot.appendingPathComponent("scripts/pg-cluster") }
}

/// Runs `body` with a cluster started for it (`scripts/pg-cluster COMMAND DIR ARGUMENTS`: a
/// plain cluster, a TLS-only one, a standby), then stops and removes the cluster whether the
/// body returns or throws (awaited, not a blocking `defer`).
func withOwnCluster<T>(
    named prefix: String, command: String = "start", arguments: [String] = [], _ body: (OwnCluster) async throws -> T
) async throws -> T {
    try await withClusterScript(named: prefix, [command], arguments) { directory, port in
        try await body(OwnCluster(directory: directory, port: port))
    }
}

/// `scripts/pg-cluster COMMAND DIR ARGUMENTS` in a fresh directory; `body` gets the directory and
/// the port its env file names; then `scripts/pg-cluster stop DIR` and the directory removed,
/// whatever happens.
func withClusterScript<T>(
    named prefix: String, _ command: [String], _ arguments: [String], _ body: (URL, String) async throws -> T
) async throws -> T {
    try TestCluster.requireRunning()
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString.prefix(8))")
    let started = try await runProcess(OwnCluster.script, command + [directory.path] + arguments)
    try #require(started.status == 0, "\(started.stderr)")
    let outcome: Result<T, any Error>
    do {
        let env = try String(contentsOf: directory.appendingPathComponent("env"), encoding: .utf8)
        let port = try #require(env.split(separator: "\n").first { $0.contains("PGPORT") }?.split(separator: "'")[1])
        outcome = .success(try await body(directory, String(port)))
    } catch {
        outcome = .failure(error)
    }
    _ = try? await runProcess(OwnCluster.script, ["stop", directory.path])
    try? FileManager.default.removeItem(at: directory)
    return try outcome.get()
}
