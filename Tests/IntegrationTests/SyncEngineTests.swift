import Foundation
import Postgres
import Testing
import TestSupport

/// The sync engine end to end: the `liqsync` binary against the `fake-kaiko` binary and a real
/// database, checked against the stand-in's truth endpoint.
@Suite("Sync: liqsync sync against FakeKaiko")
struct SyncEngineTests {
    static let t0 = "2025-04-04T12:09:55Z"
    static let t0Seconds: Int64 = 1_743_768_595

    static func iso(_ seconds: Int64) -> String {
        let date = Date(timeIntervalSince1970: Double(seconds))
        let formatter = ISO8601DateFormatter()
        return formatter.string(from: date)
    }

    func sync(_ database: TestDatabase, _ fake: FakeKaikoProcess, now: String, _ extra: [String] = []) async throws -> ProcessOutcome {
        try await LiqsyncBinary.run(
            ["sync", "--now", now] + fake.liqsyncArguments + extra, database: database, environment: fake.liqsyncEnvironment)
    }

    func migratedDatabase(assets: [String], since: String) async throws -> TestDatabase {
        let database = try await TestDatabase.create()
        let migrate = try await LiqsyncBinary.run(["migrate"], database: database)
        try #require(migrate.status == 0, "\(migrate.stderr)")
        let add = try await LiqsyncBinary.run(["assets", "add"] + assets + ["--since", since], database: database)
        try #require(add.status == 0, "\(add.stderr)")
        return database
    }

    /// The stand-in answers in the endpoint's own envelope (no `result`) or in Kaiko's general one.
    @Test(arguments: ["example", "general"])
    func fromEmptyToCurrentThenHourByHourTheViewsEqualTheTruth(envelope: String) async throws {
        let fake = try await FakeKaikoProcess.start(["--now", Self.t0, "--speed", "0", "--envelope", envelope])
        defer { fake.stop() }
        let database = try await migratedDatabase(assets: ["btc", "eth"], since: "2025-03-01")
        for step in 0..<3 {
            let now = Self.iso(Self.t0Seconds + Int64(step) * 3600)
            let outcome = try await sync(database, fake, now: now)
            #expect(outcome.status == 0, "\(outcome.stderr)")
            #expect(outcome.stdout.contains("btc: ") && outcome.stdout.contains("eth: "))
            for asset in ["btc", "eth"] {
                try await expectViewsEqualTruth(database: database, fake: fake, asset: asset)
            }
            // The watermark is the last hour that ended at least the settle delay (10 min) ago.
            let watermark = try await database.withConnection { connection async throws in
                try await connection.query("SELECT min(watermark)::text FROM liquidations.asset").scalar(String.self)
            }
            #expect(watermark == "2025-04-04 \(12 + step - 1):00:00+00", "\(watermark)")
            try await fake.advanceClock(hours: 1)
        }
        // A pass with nothing new asks nothing, writes nothing, and claims nothing: one read of
        // all the assets shows they are current (a trigger counts every claim taken or renewed).
        let claimsTaken = try await countingClaims(database)
        let requestsBefore = try await fake.requestCount()
        let before = try await tupleWrites(database)
        let again = try await sync(database, fake, now: Self.iso(Self.t0Seconds + 2 * 3600))
        #expect(again.status == 0)
        #expect(again.stdout.contains("btc: up to date") && again.stdout.contains("eth: up to date"), "\(again.stdout)")
        #expect(try await fake.requestCount() == requestsBefore)
        #expect(try await tupleWrites(database) == before)
        #expect(try await claimsTaken() == 0)

        // With a new hour the lookback is re-read too, and the unchanged hours are not rewritten.
        try await fake.advanceClock(hours: 1)
        let next = try await sync(database, fake, now: Self.iso(Self.t0Seconds + 3 * 3600))
        #expect(next.status == 0, "\(next.stderr)")
        #expect(next.stdout.contains("25 hours"), "\(next.stdout)")
        #expect(try await claimsTaken() >= 2, "assets with a new hour are claimed")
        let after = try await tupleWrites(database)
        #expect(after.updated == before.updated && after.deleted == before.deleted)
        for asset in ["btc", "eth"] {
            try await expectViewsEqualTruth(database: database, fake: fake, asset: asset)
        }
    }

    @Test func revisionsAreCorrectedAndVanishedExchangesDeleted() async throws {
        let fake = try await FakeKaikoProcess.start(["--now", Self.t0, "--speed", "0", "--revision-hours", "6"])
        defer { fake.stop() }
        let assets = ["btc", "eth", "sol"]
        let database = try await migratedDatabase(assets: assets, since: "2025-04-01")
        let first = try await sync(database, fake, now: Self.t0)
        #expect(first.status == 0, "\(first.stderr)")
        var provisional = 0
        for asset in assets {
            provisional += try await viewMismatches(database: database, fake: fake, asset: asset).count
        }
        #expect(provisional > 0, "recent hours hold provisional figures")

        // The stand-in moves on until every hour up to the next sync's window is final.
        try await fake.advanceClock(hours: 14)
        let second = try await sync(database, fake, now: Self.iso(Self.t0Seconds + 7 * 3600))
        #expect(second.status == 0, "\(second.stderr)")
        for asset in assets {
            try await expectViewsEqualTruth(database: database, fake: fake, asset: asset)
        }
        let (updated, deleted) = try await database.withConnection { connection async throws in
            try await connection.query(
                "SELECT sum(rows_updated)::bigint, sum(rows_deleted)::bigint FROM liquidations.sync_run WHERE status = 'ok'"
            ).rows[0].decode(Int64.self, Int64.self)
        }
        #expect(updated > 0, "provisional hours were updated")
        #expect(deleted > 0, "exchanges gone from an hour were deleted")
    }

    @Test func faultsAreRetriedAndABadAssetDoesNotStopTheOthers() async throws {
        let fake = try await FakeKaikoProcess.start([
            "--now", Self.t0, "--speed", "0", "--error-rate", "0.2", "--malformed-rate", "0.05", "--disconnect-rate", "0.05",
            "--bad-gateway-rate", "0.05", "--rate-limit", "40", "--latency-ms", "5", "--corrupt-assets", "sol",
        ])
        defer { fake.stop() }
        let database = try await migratedDatabase(assets: ["btc", "eth", "sol"], since: "2025-01-20")
        let outcome = try await sync(database, fake, now: Self.t0, ["--max-requests-per-second", "100"])
        #expect(outcome.status == 65, "bad data from the API: \(outcome.stdout) \(outcome.stderr)")
        #expect(outcome.stdout.contains("sol: FAILED: "))
        #expect(outcome.stdout.contains("long_trades"))
        for asset in ["btc", "eth"] {
            try await expectViewsEqualTruth(database: database, fake: fake, asset: asset)
        }
        let (solRows, solWatermarkMoved, solError) = try await database.withConnection { connection async throws in
            try await connection.query(
                """
                SELECT (SELECT count(*) FROM liquidations.token_interval WHERE asset = 'sol'),
                       watermark <> sync_from, last_error
                FROM liquidations.asset WHERE asset = 'sol'
                """
            ).rows[0].decode(Int64.self, Bool.self, String?.self)
        }
        #expect(solRows == 0 && !solWatermarkMoved, "a malformed page never commits")
        #expect(solError?.contains("invalid data for sol") == true)
        let status = try await LiqsyncBinary.run(["status", "--json"], database: database)
        #expect(status.stdout.contains("\"last_error\":\"invalid data for sol"))
    }

    @Test func twoSyncsAtOnceNeitherFailNorDuplicateNorLoseAnHour() async throws {
        let fake = try await FakeKaikoProcess.start(["--now", Self.t0, "--speed", "0", "--latency-ms", "20"])
        defer { fake.stop() }
        let assets = ["btc", "eth", "sol", "xrp"]
        let database = try await migratedDatabase(assets: assets, since: "2025-01-08")
        async let one = sync(database, fake, now: Self.t0)
        async let two = sync(database, fake, now: Self.t0)
        let outcomes = try await [one, two]
        for outcome in outcomes { #expect(outcome.status == 0, "\(outcome.stdout) \(outcome.stderr)") }
        // Re-run once so that an asset the other process skipped is certainly complete.
        #expect(try await sync(database, fake, now: Self.t0).status == 0)
        for asset in assets {
            try await expectViewsEqualTruth(database: database, fake: fake, asset: asset)
        }
    }

    @Test func killedAtRandomMomentsTheRerunEqualsAnUninterruptedRun() async throws {
        let fake = try await FakeKaikoProcess.start(["--now", Self.t0, "--speed", "0", "--latency-ms", "15"])
        defer { fake.stop() }
        let assets = ["btc", "eth", "sol"]
        let reference = try await migratedDatabase(assets: assets, since: "2025-01-08")
        let crashed = try await migratedDatabase(assets: assets, since: "2025-01-08")

        // Each run has work: a new hour has settled, and a long lookback re-reads the history.
        let options = ["--concurrency", "2", "--lookback-hours", "1000"]
        var generator = SystemRandomNumberGenerator()
        var killedMidway = 0
        var now = Self.t0Seconds
        for _ in 0..<20 {
            try await fake.advanceClock(hours: 1)
            now += 3600
            let process = try BackgroundProcess(
                LiqsyncBinary.url, ["sync", "--now", Self.iso(now)] + options + fake.liqsyncArguments,
                environment: fake.liqsyncEnvironment.merging(["DATABASE_URL": crashed.connectionString]) { $1 })
            try await Task.sleep(for: .milliseconds(Int.random(in: 20...400, using: &generator)))
            if process.isRunning { killedMidway += 1 }
            process.signal(SIGKILL)
            _ = await process.waitForExit()
            // After any crash: every hour below each watermark is there, nothing above it.
            let holes = try await crashed.withConnection { connection async throws in
                try await connection.query(
                    """
                    SELECT count(*) FROM liquidations.asset AS a
                    WHERE (SELECT count(*) FROM liquidations.token_interval t
                           WHERE t.asset = a.asset AND t.interval_start >= a.sync_from AND t.interval_start < a.watermark)
                          <> extract(epoch FROM a.watermark - a.sync_from) / 3600
                    """
                ).scalar(Int64.self)
            }
            #expect(holes == 0)
        }
        #expect(killedMidway >= 5, "most kills should land during the sync (\(killedMidway))")
        // The server ends a killed client's session (and frees its asset locks) only once it
        // notices; until then a sync would rightly skip the locked asset.
        let sessionsGone = await eventually(timeout: .seconds(30)) {
            let others = try? await crashed.withConnection { connection async throws in
                try await connection.query(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
                ).scalar(Int64.self)
            }
            return others == 0
        }
        #expect(sessionsGone)
        let final = try await sync(crashed, fake, now: Self.iso(now), options)
        #expect(final.status == 0 && !final.stdout.contains("skipped"), "\(final.stdout)")
        #expect(try await sync(reference, fake, now: Self.iso(now), options).status == 0)
        #expect(try await contentDigest(crashed) == (try await contentDigest(reference)))
    }

    // MARK: - Helpers

    /// A digest of every stored number (not timestamps of the load), to compare two databases.
    func contentDigest(_ database: TestDatabase) async throws -> String {
        try await database.withConnection { connection async throws in
            try await connection.query(
                """
                SELECT md5(coalesce((SELECT string_agg(concat_ws(',', asset, interval_start, total_trades, total_amount,
                        long_trades, long_amount, short_trades, short_amount), ';' ORDER BY asset, interval_start)
                        FROM liquidations.token_interval), '')
                    || coalesce((SELECT string_agg(concat_ws(',', asset, interval_start, exchange, total_trades, total_amount,
                        long_trades, long_amount, short_trades, short_amount), ';' ORDER BY asset, interval_start, exchange)
                        FROM liquidations.token_interval_exchange), '')
                    || coalesce((SELECT string_agg(asset || watermark, ';' ORDER BY asset) FROM liquidations.asset), ''))
                """
            ).scalar(String.self)
        }
    }

    /// Rows PostgreSQL updated and deleted in the data tables so far.
    /// Counts the claims taken or renewed from now on; returns how to read the count.
    func countingClaims(_ database: TestDatabase) async throws -> @Sendable () async throws -> Int64 {
        try await database.withConnection { connection async throws in
            _ = try await connection.query("CREATE TABLE public.claims_taken (asset text)")
            _ = try await connection.query(
                """
                CREATE FUNCTION public.count_claim() RETURNS trigger LANGUAGE plpgsql AS
                $$BEGIN INSERT INTO public.claims_taken VALUES (NEW.asset); RETURN NEW; END$$
                """)
            _ = try await connection.query(
                """
                CREATE TRIGGER count_claim AFTER INSERT OR UPDATE ON liquidations.asset_claim
                FOR EACH ROW EXECUTE FUNCTION public.count_claim()
                """)
        }
        return {
            try await database.withConnection { connection async throws in
                try await connection.query("SELECT count(*) FROM public.claims_taken").scalar(Int64.self)
            }
        }
    }

    func tupleWrites(_ database: TestDatabase) async throws -> (updated: Int64, deleted: Int64) {
        try await database.withConnection { connection async throws in
            _ = try await connection.query("SELECT pg_stat_force_next_flush()")
            return try await connection.query(
                """
                SELECT coalesce(sum(n_tup_upd), 0)::bigint, coalesce(sum(n_tup_del), 0)::bigint
                FROM pg_stat_user_tables
                WHERE schemaname = 'liquidations' AND relname IN ('token_interval', 'token_interval_exchange')
                """
            ).rows[0].decode(Int64.self, Int64.self)
        }
    }
}
