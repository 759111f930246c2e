import Foundation
import Postgres
import Testing

@testable import liqsync_demo

/// `liqsync demo`, the README's first command: it must work on a fresh machine, fill the
/// database the way the service would, and show analysts the queries docs/bi.md documents.
@Suite("liqsync demo")
struct DemoTests {
    @Test func fillsAConfiguredDatabaseAndShowsTheDocumentedQueries() async throws {
        let database = try await TestDatabase.create()
        let demo = try await LiqsyncBinary.run(["demo", "--days", "3"], database: database)
        #expect(demo.status == 0, "\(demo.stdout)\n\(demo.stderr)")
        #expect(demo.stdout.contains("using the configured database"))
        #expect(demo.stdout.contains("applied 0001_initial.sql, 0002_day_indexes.sql, 0003_hour_fingerprint.sql, 0004_watermark_not_in_future.sql, 0005_final_hours_and_revisions.sql"))

        // Every hour from the start of the backfill to the last settled one, for each asset.
        let coverage = try await database.withConnection { connection async throws in
            try await connection.query("""
                SELECT asset, count(*)::bigint,
                       (extract(epoch FROM max(interval_start) - min(interval_start)) / 3600)::bigint + 1
                FROM liquidations.hourly GROUP BY asset ORDER BY asset
                """).rows.map { try $0.decode(String.self, Int64.self, Int64.self) }
        }
        #expect(coverage.map(\.0) == ["btc", "eth", "sol"])
        for (asset, hours, span) in coverage {
            #expect(hours == span, "\(asset): no hour missing")
            // Three days back to the last settled hour (the hour just ended settles 10 minutes later).
            #expect(hours >= 71, "\(asset): three days of history")
        }
        let errors = try await database.withConnection { connection async throws in
            try await connection.query("SELECT last_error FROM liquidations.sync_status ORDER BY asset").rows
                .map { try $0.decode(String?.self) }
        }
        #expect(errors == [nil, nil, nil])
        // The sync pass found the backfill current (or took the hour that settled meanwhile).
        let syncLines = demo.stdout.components(separatedBy: "[5] ").last?.components(separatedBy: "[6] ").first ?? ""
        for asset in ["btc", "eth", "sol"] {
            #expect(syncLines.contains("  \(asset): up to date") || syncLines.contains("  \(asset): 1 chunk"), "\(syncLines)")
        }

        // The SQL shown is the SQL documented, character for character.
        let shown = Self.printedQueries(demo.stdout)
        let documented = try BIQueryTests.examples()
        #expect(shown.count == 2)
        for (name, sql) in shown {
            #expect(documented[name]?.trimmingCharacters(in: .newlines) == sql, "the demo's \(name) is docs/bi.md's")
        }

        let again = try await LiqsyncBinary.run(["demo", "--days", "3"], database: database)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout.contains("already up to date"))
    }

    /// The default stand-in answers as the endpoint's example does (no "result"); against one in
    /// Kaiko's general envelope the demo loads the same.
    @Test func loadsTheSameAgainstAStandInInKaikosGeneralEnvelope() async throws {
        let database = try await TestDatabase.create()
        let demo = try await LiqsyncBinary.run(["demo", "--days", "1", "--envelope", "general"], database: database)
        #expect(demo.status == 0, "\(demo.stdout)\n\(demo.stderr)")
        let loaded = demo.stdout.components(separatedBy: "[4] ").last?.components(separatedBy: "[5] ").first ?? ""
        for asset in ["btc", "eth", "sol"] {
            #expect(loaded.contains("  \(asset): 2"), "a day of \(asset) loaded: \(loaded)")
        }
        let hoursWithLiquidations = try await database.withConnection { connection async throws in
            try await connection.query("SELECT count(*) FROM liquidations.hourly WHERE total_trades > 0").scalar(Int64.self)
        }
        #expect(hoursWithLiquidations > 30, "most of 3 x 24 hours have liquidations")
    }

    @Test func startsAndStopsItsOwnPostgreSQLWhenNoneIsConfigured() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("liqsync-demo-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: directory) }
        let demo = try await runProcess(
            LiqsyncBinary.url, ["demo", "--days", "1", "--dir", directory.path], environment: ["DATABASE_URL": ""],
            timeout: .seconds(300))
        #expect(demo.status == 0, "\(demo.stdout)\n\(demo.stderr)")
        #expect(demo.stdout.contains("starting a throwaway cluster in \(directory.path)"))
        for asset in ["btc", "eth", "sol"] {
            #expect(demo.stdout.split(separator: "\n").contains { $0.hasPrefix("  \(asset) ") && $0.contains(" ok ") }, "status line for \(asset)")
        }
        #expect(demo.stdout.contains("Stopped PostgreSQL"))
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("data/postmaster.pid").path), "the server was stopped")
        #expect(FileManager.default.fileExists(atPath: directory.appendingPathComponent("data/PG_VERSION").path))
    }

    /// The server outlives an interrupted demo and its environment is readable in /proc: it gets
    /// a path and a locale, and nothing of the caller's (KAIKO_API_KEY, DATABASE_URL, PGPASSWORD,
    /// or this test run's own PGHOST and LIQSYNC_TEST_PGDIR).
    @Test func theServerTheDemoStartsSeesNoneOfTheCallersEnvironment() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("liqsync-demo-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: directory) }
        let cluster = try await DemoCluster.start(in: directory)
        let pidFile = try String(contentsOf: directory.appendingPathComponent("data/postmaster.pid"), encoding: .utf8)
        let pid = try #require(pidFile.split(separator: "\n").first.flatMap { Int32($0) })
        let environment = try Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/environ"))
        await cluster.stop()
        let names = Set(environment.split(separator: 0).map { String(decoding: $0, as: UTF8.self).prefix { $0 != "=" } })
            .map(String.init)
        // What runuser (USER, HOME, LOGNAME), the shell (PWD) and pg_ctl and the server (PG*) add.
        let added: Set = ["USER", "HOME", "LOGNAME", "SHELL", "PWD", "PGDATA", "PGLOCALEDIR", "PGSYSCONFDIR", "PG_GRANDPARENT_PID"]
        let allowed = added.union(DemoCluster.serverEnvironment.keys)
        #expect(names.contains("PATH"))
        #expect(names.allSatisfy { allowed.contains($0) }, "\(names.filter { !allowed.contains($0) })")
        #expect(ProcessInfo.processInfo.environment["PGHOST"] != nil && !names.contains("PGHOST"), "the caller's variables stay out")
    }

    @Test func anInstalledLiqsyncWithoutTheDemoProgramSaysWhereItIs() async throws {
        // As deploy/install.sh installs it: the binary alone.
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bin-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let alone = directory.appendingPathComponent("liqsync")
        try FileManager.default.copyItem(at: LiqsyncBinary.url, to: alone)
        // A child another test forks while the copy is open for writing inherits that descriptor
        // until it execs; running the copy meanwhile fails with ETXTBSY. Wait that out.
        var attempt = 0
        var outcome: ProcessOutcome
        while true {
            do {
                outcome = try await runProcess(alone, ["demo", "--days", "1"])
                break
            } catch let error as NSError where attempt < 20 && "\(error)".contains("Text file busy") {
                attempt += 1
                try await Task.sleep(for: .milliseconds(100))
            }
        }
        #expect(outcome.status == 69)
        #expect(outcome.stderr.contains("liqsync-demo, and it is not next to this liqsync"), "\(outcome.stderr)")
        #expect(outcome.stderr.contains("scripts/demo"))
    }

    @Test func badArgumentsAreOneLineAndExitCode64() async throws {
        let outcome = try await LiqsyncBinary.run(["demo", "--days", "0"], database: nil)
        #expect(outcome.status == 64)
        #expect(outcome.stderr.contains("--days must be between 1 and 60"))
        let envelope = try await LiqsyncBinary.run(["demo", "--envelope", "xml"], database: nil)
        #expect(envelope.status == 64)
        #expect(envelope.stderr.contains("--envelope must be example or general, not 'xml'"), "\(envelope.stderr)")
    }

    /// `-- example: name` blocks the demo printed, with their "  | " margin taken off.
    static func printedQueries(_ output: String) -> [(String, String)] {
        var queries: [(String, String)] = []
        var current: [String] = []
        for line in output.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("  | ") {
                current.append(String(line.dropFirst(4)))
            } else if !current.isEmpty {
                if let first = current.first, first.hasPrefix("-- example: ") {
                    queries.append((String(first.dropFirst("-- example: ".count)), current.joined(separator: "\n")))
                }
                current = []
            }
        }
        return queries
    }
}
