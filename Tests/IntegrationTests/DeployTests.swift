import Foundation
import Postgres
import Testing
import TestSupport

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

    /// Roles are cluster-wide: a second session running the script (or a migration of another
    /// database creating the reader role) can find a role created under it. It counts as existing.
    @Test func rolesSQLRunByTwoSessionsAtOnceSucceedsInBoth() async throws {
        let database = try await TestDatabase.create()
        let suffix = database.name.split(separator: "_").last.map(String.init) ?? "x"
        let ingester = "liqsync_\(suffix)", reader = "liquidations_reader_\(suffix)"
        let roles = try String(
            contentsOf: TestCluster.repositoryRoot.appendingPathComponent("deploy/postgres/roles.sql"), encoding: .utf8)
            .replacingOccurrences(of: "liquidations_reader", with: reader)
            .replacing(/\bliqsync\b/, with: ingester)

        // The first session creates both roles and holds them uncommitted, so the second one
        // sees no role, and its CREATE ROLE waits on the first's transaction.
        let first = try await database.connect()
        try await first.execute(script: "BEGIN;\n" + roles)
        let second = try await database.connect()
        let secondSession = try await second.query("SELECT pg_backend_pid()").scalar(Int32.self)
        let running = Task { try await second.execute(script: roles) }
        let waiting = await eventually(timeout: .seconds(30)) {
            // The lock manager's state now (pg_stat_activity would be a snapshot in this transaction).
            (try? await first.query("SELECT cardinality(pg_blocking_pids(\(secondSession))) > 0").scalar(Bool.self)) == true
        }
        #expect(waiting, "the second session waits for the first's roles")
        try await first.execute(script: "COMMIT")
        await #expect(throws: Never.self) { try await running.value }
        await second.close()

        let created = try await first.query(
            "SELECT count(*) FROM pg_roles WHERE rolname IN (\(ingester), \(reader))").scalar(Int64.self)
        #expect(created == 2)
        try await first.execute(script: "DROP OWNED BY \(ingester), \(reader); DROP ROLE \(ingester), \(reader);")
        await first.close()
    }

    @Test func installKeepsTheEnvironmentFileAndTheKeyRootOnlyAndInstallsTheOperationsKit() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("install-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: root) }
        let script = TestCluster.repositoryRoot.appendingPathComponent("deploy/install.sh")
        let arguments = ["--destdir", root.path, "--binary", LiqsyncBinary.url.path]
        let first = try await runProcess(script, arguments)
        #expect(first.status == 0, "\(first.stderr)")
        func mode(_ path: String) throws -> Int {
            let attributes = try FileManager.default.attributesOfItem(atPath: root.path + path)
            return (attributes[.posixPermissions] as? Int) ?? -1
        }
        #expect(try mode("/etc/liqsync/liqsync.env") == 0o600)
        #expect(try mode("/etc/liqsync/kaiko-api-key") == 0o600)
        #expect(try mode("/usr/local/bin/liqsync") == 0o755)
        for file in ["prometheus/prometheus.yml", "prometheus/liqsync-alerts.yml", "grafana/liqsync.json"] {
            #expect(try mode("/usr/local/share/liqsync/\(file)") == 0o644, "\(file) installed")
        }

        // An environment file an earlier release left world-readable is tightened, not replaced.
        let envFile = root.appendingPathComponent("etc/liqsync/liqsync.env")
        try "DATABASE_URL=postgresql://liqsync:pw@db/liq\n".write(to: envFile, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: envFile.path)
        let second = try await runProcess(script, arguments)
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stderr.contains("was readable by others; it is now 0600"))
        #expect(try mode("/etc/liqsync/liqsync.env") == 0o600)
        #expect(try String(contentsOf: envFile, encoding: .utf8).contains("postgresql://liqsync:pw@db/liq"))
    }
}
