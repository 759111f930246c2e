import Foundation
import Postgres
import Testing

/// deploy/: the unit passes systemd's own checks, and the role SQL gives an ingester that owns
/// the schema.
@Suite("deploy/: systemd unit and roles")
struct DeployTests {
    static let unit = TestCluster.repositoryRoot.appendingPathComponent("deploy/liqsync.service")

    /// The unit with its binary paths pointed at the build, as install.sh does with its prefix.
    func installedUnitCopy() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("unit-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let text = try String(contentsOf: Self.unit, encoding: .utf8)
            .replacingOccurrences(of: "/usr/local/bin/liqsync", with: LiqsyncBinary.url.path)
        let copy = directory.appendingPathComponent("liqsync.service")
        try text.write(to: copy, atomically: true, encoding: .utf8)
        return copy
    }

    @Test func systemdAnalyzeVerifyIsClean() async throws {
        let copy = try installedUnitCopy()
        let outcome = try await runProcess(URL(fileURLWithPath: "/usr/bin/systemd-analyze"), ["verify", copy.path])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let complaints = (outcome.stdout + outcome.stderr).split(separator: "\n").filter { $0.contains("liqsync.service") }
        #expect(complaints.isEmpty, "\(complaints)")
    }

    @Test func systemdAnalyzeSecurityRatesTheUnitTwoOrLower() async throws {
        let outcome = try await runProcess(
            URL(fileURLWithPath: "/usr/bin/systemd-analyze"), ["security", "--offline=true", Self.unit.path])
        let line = try #require(
            outcome.stdout.split(separator: "\n").first { $0.contains("Overall exposure level for liqsync.service") },
            "\(outcome.stdout) \(outcome.stderr)")
        let score = try #require(line.split(separator: ":").last?.split(separator: " ").first.flatMap { Double($0) })
        #expect(score <= 2.0, "\(line)")
    }

    @Test func rolesSQLGivesAnIngesterThatOwnsTheSchema() async throws {
        let database = try await TestDatabase.create()
        let roles = try String(
            contentsOf: TestCluster.repositoryRoot.appendingPathComponent("deploy/postgres/roles.sql"), encoding: .utf8)
        try await database.withConnection { connection async throws in
            try await connection.execute(script: roles)
            try await connection.execute(script: roles)  // idempotent
        }
        let migrate = try await LiqsyncBinary.run(
            ["migrate", "--database-url", "dbname=\(database.name) user=liqsync"], database: nil)
        #expect(migrate.status == 0, "\(migrate.stderr)")
        let owner = try await database.withConnection { connection async throws in
            try await connection.query(
                "SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = 'liquidations'").scalar(String.self)
        }
        #expect(owner == "liqsync")
    }
}
