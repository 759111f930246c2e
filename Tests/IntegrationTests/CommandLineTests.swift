import Foundation
import LiquidationStore
import Postgres
import Testing

/// The `liqsync` binary run as a user runs it: exit codes, messages, and the database after.
@Suite("liqsync binary: migrate and assets")
struct CommandLineTests {
    @Test func versionPrintsTheRelease() async throws {
        let outcome = try await LiqsyncBinary.run(["--version"], database: nil)
        #expect(outcome.status == 0)
        #expect(outcome.stdout.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ".").count == 3, "\(outcome.stdout)")
    }

    @Test func migrateTwiceCreatesTheSchemaThenChangesNothing() async throws {
        let database = try await TestDatabase.create()
        let dryRun = try await LiqsyncBinary.run(["migrate", "--dry-run"], database: database)
        #expect(dryRun.status == 0)
        let embedded = try Migration.embedded().map(\.fileName)
        #expect(dryRun.stdout.contains("Would apply \(embedded.count) migration(s):\n" + embedded.map { "  \($0)" }.joined(separator: "\n")))

        let first = try await LiqsyncBinary.run(["migrate"], database: database)
        #expect(first.status == 0, "\(first.stderr)")
        // One line per migration, in order, with the time it took.
        let applied = first.stdout.split(separator: "\n").filter { $0.hasPrefix("Applied ") }
        #expect(applied.map { String($0.split(separator: " ")[1]) } == embedded, "\(first.stdout)")
        #expect(applied.allSatisfy { $0.hasSuffix(" s)") }, "\(first.stdout)")

        let snapshot = try await schemaSnapshot(database)
        let second = try await LiqsyncBinary.run(["migrate"], database: database)
        #expect(second.status == 0)
        #expect(second.stdout.contains("up to date"))
        #expect(try await schemaSnapshot(database) == snapshot)
    }

    @Test func assetsAddListDisableEnableRemove() async throws {
        let database = try await migratedDatabase()
        let add = try await LiqsyncBinary.run(["assets", "add", "btc", "eth", "--since", "2025-02-01"], database: database)
        #expect(add.status == 0, "\(add.stderr)")
        #expect(add.stdout.contains("Added btc: history from 2025-02-01T00:00:00Z."))

        let again = try await LiqsyncBinary.run(["assets", "add", "eth", "--since", "2025-03-01"], database: database)
        #expect(again.status == 0)
        #expect(again.stdout.contains("eth is already tracked (history from 2025-02-01T00:00:00Z)"))

        let disable = try await LiqsyncBinary.run(["assets", "disable", "btc"], database: database)
        #expect(disable.status == 0)
        let list = try await LiqsyncBinary.run(["assets", "list", "--json"], database: database)
        #expect(list.status == 0)
        let entries = try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [[String: Any]]
        #expect(entries?.map { $0["asset"] as? String } == ["btc", "eth"])
        #expect(entries?.map { $0["enabled"] as? Bool } == [false, true])
        #expect(entries?.first?["sync_from"] as? String == "2025-02-01T00:00:00Z")
        #expect(entries?.first?.keys.contains("last_error") == true, "null fields are present in the JSON")

        let enable = try await LiqsyncBinary.run(["assets", "enable", "btc"], database: database)
        #expect(enable.status == 0 && enable.stdout.contains("Enabled btc."))

        let remove = try await LiqsyncBinary.run(["assets", "remove", "eth"], database: database)
        #expect(remove.status == 0)
        let rows = try await database.withConnection { connection async throws in
            try await connection.query("SELECT asset, enabled FROM liquidations.asset ORDER BY asset").rows
                .map { try $0.decode(String.self, Bool.self) }
        }
        #expect(rows.map(\.0) == ["btc"] && rows.map(\.1) == [true])
    }

    @Test func removingAnAssetWithDataNeedsPurge() async throws {
        let database = try await migratedDatabase()
        _ = try await LiqsyncBinary.run(["assets", "add", "sol", "--since", "2025-02-01"], database: database)
        try await database.withConnection { connection async throws in
            try await connection.execute(script: """
                INSERT INTO liquidations.token_interval
                    (asset, interval_start, total_trades, total_amount, long_trades, long_amount, short_trades, short_amount)
                VALUES ('sol', '2025-02-01 00:00+00', 1, 10.5, 1, 10.5, 0, 0),
                       ('sol', '2025-02-01 01:00+00', 0, 0, 0, 0, 0, 0);
                INSERT INTO liquidations.token_month_exchange VALUES
                    ('sol', '2025-02-01', 'bbit', 1, 1, 10.5, 1, 10.5, 0, 0, now()),
                    ('btc', '2025-02-01', 'bbit', 1, 2, 3, 2, 3, 0, 0, now());
                """)
        }
        let refused = try await LiqsyncBinary.run(["assets", "remove", "sol"], database: database)
        #expect(refused.status == 64)
        #expect(refused.stderr.contains("has 2 stored hours"))
        #expect(refused.stderr.contains("--purge"))

        let purged = try await LiqsyncBinary.run(["assets", "remove", "sol", "--purge"], database: database)
        #expect(purged.status == 0)
        #expect(purged.stdout.contains("deleted its 2 stored hours"))
        let left = try await database.withConnection { connection async throws in
            try await connection.query("SELECT count(*) FROM liquidations.token_interval").scalar(Int64.self)
        }
        #expect(left == 0)
        // Every asset's exchanges by month lose sol's share with it.
        let across = try await database.withConnection { connection async throws in
            try await connection.query(
                "SELECT string_agg(concat_ws(' ', exchange, assets, total_trades, total_amount_usd), '; ') FROM liquidations.exchange_monthly"
            ).scalar(String.self)
        }
        #expect(across == "bbit 1 2 3")
    }

    @Test func badInputGetsOneLineAndExitCode64() async throws {
        let database = try await migratedDatabase()
        let cases: [([String], String)] = [
            (["assets", "add", "BTC"], "must be lowercase"),
            (["assets", "add", "b tc"], "contains U+20"),
            (["assets", "add", String(repeating: "a", count: 33)], "longer than 32"),
            (["assets", "add", "btc", "--since", "2025-02-30"], "not a valid calendar date"),
            (["assets", "add", "btc", "--since", "yesterday"], "is not a date or time"),
            (["assets", "add", "btc", "--since", "2999-01-01"], "in the future"),
            (["assets", "add"], "Missing expected argument '<asset> ...'"),
            (["assets", "disable", "doge"], "asset 'doge' is not tracked"),
            (["assets", "frobnicate"], "Unexpected argument"),
        ]
        for (arguments, expected) in cases {
            let outcome = try await LiqsyncBinary.run(arguments, database: database)
            #expect(outcome.status == 64, "\(arguments): \(outcome.status) \(outcome.stderr)")
            #expect(outcome.stderr.contains(expected), "\(arguments): \(outcome.stderr)")
        }
        let count = try await database.withConnection { connection async throws in
            try await connection.query("SELECT count(*) FROM liquidations.asset").scalar(Int64.self)
        }
        #expect(count == 0)
    }

    @Test(arguments: [
        ["--help"], ["help", "backfill"], ["backfill", "--help"], ["sync", "-h"], ["assets", "add", "--help"],
        ["run", "--help"], ["demo", "--help"], ["verify", "--help"], ["status", "--help"], ["migrate", "--help"],
    ])
    func helpIsPrintedWithExitCode0(arguments: [String]) async throws {
        let outcome = try await LiqsyncBinary.run(arguments, database: nil)
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(outcome.stdout.contains("USAGE: liqsync"), "\(outcome.stdout)")
        #expect(!outcome.stderr.contains("error"), "\(outcome.stderr)")
    }

    @Test func anEarlySinceStartsAtTheDatasetStartAndSaysSoUnlessAskedOtherwise() async throws {
        let database = try await migratedDatabase()
        let outcome = try await LiqsyncBinary.run(["assets", "add", "btc", "--since", "2024-06-01"], database: database)
        #expect(outcome.status == 0)
        #expect(outcome.stderr.contains(
            "--since 2024-06-01 is before Kaiko's liquidation data starts (2025-01-08T00:00:00Z): loading from 2025-01-08T00:00:00Z"),
            "\(outcome.stderr)")
        #expect(outcome.stdout.contains("Added btc: history from 2025-01-08T00:00:00Z."), "\(outcome.stdout)")
        let explicit = try await LiqsyncBinary.run(
            ["assets", "add", "eth", "--since", "2024-06-01", "--before-dataset-start"], database: database)
        #expect(explicit.status == 0)
        #expect(explicit.stderr.contains("the hours before it are stored as zero rows"), "\(explicit.stderr)")
        let syncFrom = try await database.withConnection { connection async throws in
            try await connection.query("SELECT string_agg(asset || ' ' || sync_from::date, ', ' ORDER BY asset) FROM liquidations.asset")
                .scalar(String.self)
        }
        #expect(syncFrom == "btc 2025-01-08, eth 2024-06-01")
    }

    @Test func unreachableDatabaseExits69WithoutThePassword() async throws {
        try TestCluster.requireRunning()
        let outcome = try await LiqsyncBinary.run(
            ["assets", "list", "--database-url", "postgresql://liq:Hunter2Secret@127.0.0.1:1/liq?connect_timeout=2"],
            database: nil)
        #expect(outcome.status == 69)
        #expect(outcome.stderr.hasPrefix("liqsync: error: cannot connect to PostgreSQL"))
        #expect(!outcome.stderr.contains("Hunter2Secret") && !outcome.stdout.contains("Hunter2Secret"))
    }

    /// The two strings libpq misreads: an unencoded '@' in a URL's password (libpq would take
    /// "tP4ss@host" for the host and quote it), and a space in an unquoted conninfo password
    /// (libpq would quote "def"). Neither reaches libpq; no part of the password is printed.
    @Test(arguments: [
        ("postgresql://u:S3cr@tP4ss@host/db", ["S3cr", "tP4ss"], "percent-encoded ('@' as %40"),
        ("host=127.0.0.1 port=1 password=abc def", ["abc", "def"], "single quotes"),
        ("postgresql://u:Kx9%40w/Lm@127.0.0.1:1/db", ["Kx9", "Lm@", "w/Lm"], "percent-encoded"),
    ])
    func aConnectionStringWithAMisreadablePasswordIsRefusedWithoutAnyOfIt(
        url: String, pieces: [String], advice: String
    ) async throws {
        // As an option it is a usage error (64); from the environment, a configuration error (78).
        for (arguments, environment, status): ([String], [String: String], Int32) in [
            (["status", "--database-url", url], [:], 64), (["status"], ["DATABASE_URL": url], 78),
        ] {
            let outcome = try await LiqsyncBinary.run(arguments, database: nil, environment: environment)
            #expect(outcome.status == status, "\(outcome.stderr)")
            #expect(outcome.stderr.contains(advice), "\(outcome.stderr)")
            let printed = outcome.stdout + outcome.stderr
            for piece in pieces {
                #expect(printed.range(of: "\\b\(piece)\\b", options: .regularExpression) == nil, "\(piece) in: \(printed)")
            }
        }
    }

    /// `liqsync sync` exits as every other command does: 77 when PostgreSQL refuses a write for
    /// lack of privilege (once 70), 75 on a deadlock.
    @Test func syncExits77WhenPostgreSQLRefusesAWriteAnd75OnADeadlock() async throws {
        let fake = try await FakeKaikoProcess.start(["--now", SyncEngineTests.t0, "--speed", "0"])
        defer { fake.stop() }
        let database = try await migratedDatabase()
        #expect(try await LiqsyncBinary.run(["assets", "add", "btc", "--since", "2025-04-01"], database: database).status == 0)
        let role = "ingest_\(UUID().uuidString.prefix(6).lowercased())"
        try await database.withConnection { connection async throws in
            try await connection.execute(script: """
                CREATE ROLE \(role) LOGIN;
                GRANT USAGE ON SCHEMA liquidations TO \(role);
                GRANT SELECT ON ALL TABLES IN SCHEMA liquidations TO \(role);
                GRANT INSERT, UPDATE ON liquidations.asset, liquidations.sync_run, liquidations.exchange TO \(role);
                """)
        }
        let sync = ["sync", "--now", SyncEngineTests.t0] + fake.liqsyncArguments
        let refused = try await LiqsyncBinary.run(
            sync + ["--database-url", "dbname=\(database.name) user=\(role)"], database: nil, environment: fake.liqsyncEnvironment)
        #expect(refused.status == 77, "\(refused.stdout) \(refused.stderr)")
        #expect(refused.stdout.contains("btc: FAILED: ") && refused.stdout.contains("42501"), "\(refused.stdout)")

        try await database.withConnection { connection async throws in
            try await connection.execute(script: """
                CREATE FUNCTION public.pretend_deadlock() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN RAISE EXCEPTION 'deadlock detected' USING ERRCODE = 'deadlock_detected'; END $$;
                CREATE TRIGGER pretend_deadlock BEFORE INSERT ON liquidations.token_interval
                    FOR EACH STATEMENT EXECUTE FUNCTION public.pretend_deadlock();
                """)
        }
        let deadlocked = try await LiqsyncBinary.run(sync, database: database, environment: fake.liqsyncEnvironment)
        #expect(deadlocked.status == 75, "\(deadlocked.stdout) \(deadlocked.stderr)")
        #expect(deadlocked.stdout.contains("40P01"), "\(deadlocked.stdout)")
    }

    @Test func unmigratedDatabaseExits78AndSaysWhatToDo() async throws {
        let database = try await TestDatabase.create()
        let outcome = try await LiqsyncBinary.run(["assets", "add", "btc"], database: database)
        #expect(outcome.status == 78)
        #expect(outcome.stderr.contains("run 'liqsync migrate' first"))
    }

    /// Foundation, its internationalization layer and ICU cost some 6.5 MiB of every liqsync
    /// process (README, "Memory"): one `import Foundation` in a module of the binary, or a
    /// dependency's trait that pulls it in, would bring them back without a word.
    @Test func theBinaryDoesNotLoadTheFullFoundation() async throws {
        let outcome = try await runProcess(URL(fileURLWithPath: "/usr/bin/ldd"), [LiqsyncBinary.url.path])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(outcome.stdout.contains("libFoundationEssentials.so"), "ldd lists the libraries: \(outcome.stdout)")
        for library in ["libFoundation.so", "libFoundationInternationalization.so", "lib_FoundationICU.so"] {
            #expect(!outcome.stdout.contains(library), "liqsync loads \(library)")
        }
    }

    @Test func anUnreadableAPIKeyFileExits78WithTheSystemsReason() async throws {
        let database = try await TestDatabase.create()
        _ = try await LiqsyncBinary.run(["migrate"], database: database)
        let directory = FileManager.default.temporaryDirectory.path
        for (path, reason) in [("/nonexistent/kaiko-key", "No such file or directory"), (directory, "Is a directory")] {
            let outcome = try await LiqsyncBinary.run(["sync", "--api-key-file", path], database: database)
            #expect(outcome.status == 78, "\(outcome.stderr)")
            #expect(outcome.stderr.contains("cannot read the API key from --api-key-file \(path): \(reason)"), "\(outcome.stderr)")
        }
    }

    @Test func missingDatabaseExits78() async throws {
        try TestCluster.requireRunning()
        let outcome = try await LiqsyncBinary.run(
            ["migrate"], database: nil, environment: ["DATABASE_URL": "dbname=no_such_database_here"])
        #expect(outcome.status == 69 || outcome.status == 78)
        #expect(outcome.stderr.contains("no_such_database_here"))
        #expect(outcome.stderr.split(separator: "\n").count == 1, "one line: \(outcome.stderr)")
    }

    // MARK: - Helpers

    private func migratedDatabase() async throws -> TestDatabase {
        let database = try await TestDatabase.create()
        let outcome = try await LiqsyncBinary.run(["migrate"], database: database)
        try #require(outcome.status == 0, "\(outcome.stderr)")
        return database
    }

    /// Everything migrate could change: relations with their definitions, and recorded migrations.
    private func schemaSnapshot(_ database: TestDatabase) async throws -> [String] {
        try await database.withConnection { connection async throws in
            try await connection.query(
                """
                SELECT c.relkind::text || ' ' || c.relname || ' ' || coalesce(pg_get_viewdef(c.oid), '')
                FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = 'liquidations'
                UNION ALL
                SELECT 'migration ' || version || ' ' || checksum || ' ' || applied_at
                FROM liquidations.schema_migrations
                ORDER BY 1
                """
            ).rows.map { try $0.decode(String.self, at: 0) }
        }
    }
}
