import Foundation
import Postgres
import Testing
import TestSupport

@Suite("Backfill: resumable, safe beside the service")
struct BackfillTests {
    let t0 = SyncEngineTests.t0

    func backfill(_ database: TestDatabase, _ fake: FakeKaikoProcess, _ arguments: [String]) async throws -> ProcessOutcome {
        try await LiqsyncBinary.run(
            ["backfill"] + arguments + ["--now", t0] + fake.liqsyncArguments, database: database,
            environment: fake.liqsyncEnvironment)
    }

    func migrated() async throws -> TestDatabase {
        let database = try await TestDatabase.create()
        #expect(try await LiqsyncBinary.run(["migrate"], database: database).status == 0)
        return database
    }

    @Test func dryRunPrintsThePlanAndTouchesNothing() async throws {
        let fake = try await FakeKaikoProcess.start(["--now", t0, "--speed", "0"])
        defer { fake.stop() }
        let database = try await migrated()
        let outcome = try await backfill(database, fake, ["btc", "eth", "--from", "2025-01-08", "--dry-run"])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(outcome.stdout.contains("btc: [2025-01-08T00:00:00Z, 2025-04-04T11:00:00Z), 2075 hours in 3 chunks"))
        #expect(outcome.stdout.contains("Total: 4150 hours, about 6 requests."))
        let rows = try await database.withConnection { connection async throws in
            try await connection.query(
                "SELECT (SELECT count(*) FROM liquidations.asset) + (SELECT count(*) FROM liquidations.backfill_job)"
            ).scalar(Int64.self)
        }
        #expect(rows == 0)
    }

    @Test func badInputIsOneLineAndTheRightExitCode() async throws {
        let fake = try await FakeKaikoProcess.start(["--now", t0, "--speed", "0"])
        defer { fake.stop() }
        let database = try await migrated()
        let cases: [([String], Int32, String)] = [
            (["btc", "--from", "2025-03-01", "--to", "2025-02-01"], 64, "must be before --to"),
            (["btc", "--from", "2025-05-01"], 64, "is in the future"),
            (["btc", "--from", "last tuesday"], 64, "is not a date or time"),
            (["BTC", "--from", "2025-03-01"], 64, "must be lowercase"),
            (["nosuchcoin", "--from", "2025-03-01"], 65, "unknown asset 'nosuchcoin' (404)"),
            (["btc", "--from", "2024-01-01", "--to", "2024-06-01"], 64,
             "--to 2024-06-01 ends before Kaiko's liquidation data starts (2025-01-08T00:00:00Z): nothing to load"),
        ]
        for (arguments, status, message) in cases {
            let outcome = try await backfill(database, fake, arguments)
            #expect(outcome.status == status, "\(arguments): \(outcome.stderr)")
            #expect((outcome.stderr + outcome.stdout).contains(message), "\(arguments): \(outcome.stderr)")
        }
        let tracked = try await database.withConnection { connection async throws in
            try await connection.query("SELECT count(*) FROM liquidations.asset").scalar(Int64.self)
        }
        #expect(tracked == 0, "an asset the API does not know is not left tracked")
    }

    /// Hours before the dataset's documented start have no data: stored as zero rows they would
    /// read as quiet hours. By default a backfill starts at the dataset's start and says so.
    @Test func aFromBeforeTheDatasetStartLoadsFromTheStartUnlessAskedOtherwise() async throws {
        let fake = try await FakeKaikoProcess.start(["--now", t0, "--speed", "0"])
        defer { fake.stop() }
        let database = try await migrated()
        let clamped = try await backfill(database, fake, ["btc", "--from", "2024-12-20", "--to", "2025-01-10"])
        #expect(clamped.status == 0, "\(clamped.stderr)")
        #expect(clamped.stderr.contains(
            "--from 2024-12-20 is before Kaiko's liquidation data starts (2025-01-08T00:00:00Z): loading from 2025-01-08T00:00:00Z"),
            "\(clamped.stderr)")
        #expect(clamped.stdout.contains("btc: 48 hours in 1 chunks"), "\(clamped.stdout)")

        let explicit = try await backfill(database, fake, ["eth", "--from", "2024-12-20", "--to", "2025-01-10", "--before-dataset-start"])
        #expect(explicit.status == 0, "\(explicit.stderr)")
        #expect(explicit.stderr.contains("the hours before it are stored as zero rows"), "\(explicit.stderr)")
        let ranges = try await database.withConnection { connection async throws in
            try await connection.query(
                """
                SELECT a.asset, a.sync_from::text, min(h.interval_start)::text, count(*) FILTER (WHERE h.total_trades > 0)
                FROM liquidations.asset AS a JOIN liquidations.hourly AS h USING (asset)
                WHERE h.interval_start < '2025-01-08' OR h.total_trades > 0
                GROUP BY a.asset, a.sync_from ORDER BY a.asset
                """
            ).rows.map { try $0.decode(String.self, String.self, String.self, Int64.self) }
        }
        #expect(ranges.map(\.0) == ["btc", "eth"])
        #expect(ranges.first?.1 == "2025-01-08 00:00:00+00" && ranges.first?.2 == "2025-01-08 00:00:00+00", "nothing before the start")
        #expect(ranges.last?.1 == "2024-12-20 00:00:00+00" && ranges.last?.2 == "2024-12-20 00:00:00+00", "asked for: zero rows")
        #expect(ranges.allSatisfy { $0.3 > 20 }, "the dataset's hours have liquidations")
    }

    /// A backfill is identified by its whole range: a longer range after a finished shorter one
    /// loads the difference; one overlapping an interrupted job resumes it and goes on to its
    /// own end.
    @Test func aLongerRangeLoadsWhatEarlierBackfillsDidNot() async throws {
        let fake = try await FakeKaikoProcess.start(["--now", t0, "--speed", "0"])
        defer { fake.stop() }
        let database = try await migrated()
        #expect(try await LiqsyncBinary.run(["assets", "add", "btc", "--since", "2025-03-20"], database: database).status == 0)
        let sync = try await LiqsyncBinary.run(
            ["sync", "--now", t0] + fake.liqsyncArguments, database: database, environment: fake.liqsyncEnvironment)
        try #require(sync.status == 0, "\(sync.stderr)")

        let short = try await backfill(database, fake, ["btc", "--from", "2025-03-01", "--to", "2025-03-10"])
        #expect(short.status == 0, "\(short.stderr)")
        #expect(short.stdout.contains("btc: 216 hours in 1 chunks"), "\(short.stdout)")

        // Without --to the range ends at the watermark: what the first one loaded is not asked again.
        let plan = try await backfill(database, fake, ["btc", "--from", "2025-03-01", "--dry-run"])
        #expect(plan.stdout.contains("btc: [2025-03-01T00:00:00Z, 2025-04-04T11:00:00Z), 611 hours in 1 chunk (about 1 request), resuming at 2025-03-10T00:00:00Z"),
                "\(plan.stdout)")
        let longer = try await backfill(database, fake, ["btc", "--from", "2025-03-01"])
        #expect(longer.status == 0, "\(longer.stderr)")
        #expect(longer.stdout.contains("btc: 611 hours in 1 chunks"), "\(longer.stdout)")
        let syncFrom = try await database.withConnection { connection async throws in
            try await connection.query("SELECT sync_from::text FROM liquidations.asset WHERE asset = 'btc'").scalar(String.self)
        }
        #expect(syncFrom == "2025-03-01 00:00:00+00", "the history is contiguous from --from")
        try await expectViewsEqualTruth(database: database, fake: fake, asset: "btc")
        // Nothing left: it says so, and whose the hours after the watermark are.
        let again = try await backfill(database, fake, ["btc", "--from", "2025-03-01"])
        #expect(again.stdout.contains("btc: [2025-03-01T00:00:00Z, 2025-04-04T11:00:00Z) already loaded by an earlier backfill"),
                "\(again.stdout)")
        #expect(again.stdout.contains("the hours from its watermark 2025-04-04T11:00:00Z on are loaded by `liqsync sync` or the service"),
                "\(again.stdout)")

        // An earlier job interrupted at 2025-02-20 (as a crash leaves it), then a range reaching
        // past its end: it resumes at 2025-02-20 and goes on to 2025-03-01, where the loaded history begins.
        let interrupted = try await backfill(database, fake, ["btc", "--from", "2025-02-10", "--to", "2025-02-25"])
        #expect(interrupted.status == 0, "\(interrupted.stderr)")
        try await database.withConnection { connection async throws in
            try await connection.query(
                """
                UPDATE liquidations.backfill_job SET status = 'running', done_until = '2025-02-20'
                WHERE asset = 'btc' AND range_start = '2025-02-10'
                """)
        }
        let overlapping = try await backfill(database, fake, ["btc", "--from", "2025-02-10", "--to", "2025-03-01", "--dry-run"])
        #expect(overlapping.stdout.contains("btc: [2025-02-10T00:00:00Z, 2025-03-01T00:00:00Z), 216 hours in 1 chunk (about 1 request), resuming at 2025-02-20T00:00:00Z"),
                "\(overlapping.stdout)")
    }

    @Test func killedMidwayTheRerunResumesAndEqualsAnUninterruptedRun() async throws {
        // Slow answers fetched one after another (each chunk takes over a second and a half; with
        // the fetches ahead, every chunk was on its way at once and a loaded machine saw the run
        // end before the kill) leave time to kill it midway.
        let fake = try await FakeKaikoProcess.start(["--now", t0, "--speed", "0", "--latency-ms", "1500"])
        defer { fake.stop() }
        let reference = try await migrated()
        let crashed = try await migrated()
        let arguments = ["btc", "eth", "--from", "2025-01-08", "--concurrency", "1", "--prefetch", "0"]
        let full = try await backfill(reference, fake, arguments)
        #expect(full.status == 0)

        let process = try BackgroundProcess(
            LiqsyncBinary.url, ["backfill"] + arguments + ["--now", t0] + fake.liqsyncArguments,
            environment: fake.liqsyncEnvironment.merging(["DATABASE_URL": crashed.connectionString]) { $1 })
        // Wait until some chunks are committed, then kill it.
        let progressed = await eventually(timeout: .seconds(30)) {
            let done = try? await crashed.withConnection { connection async throws in
                try await connection.query(
                    "SELECT count(*) FROM liquidations.sync_run WHERE kind = 'backfill' AND status = 'ok'"
                ).scalar(Int64.self)
            }
            return (done ?? 0) >= 2
        }
        #expect(progressed)
        try #require(process.isRunning, "killed before it finished: \(process.text)")
        process.signal(SIGKILL)
        _ = await process.waitForExit()

        let resumed = try await backfill(crashed, fake, arguments)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let loadedAgain = resumed.stdout.split(separator: "\n").filter { $0.hasPrefix("btc:") || $0.hasPrefix("eth:") }
        #expect(loadedAgain.count == 2)
        func hoursLoaded(_ outcome: ProcessOutcome) -> Int? {
            guard let range = outcome.stdout.range(of: #"s: (\d+) hours"#, options: .regularExpression) else { return nil }
            return Int(outcome.stdout[range].dropFirst(3).prefix { $0.isNumber })
        }
        let fullHours = try #require(hoursLoaded(full))
        let resumedHours = try #require(hoursLoaded(resumed))
        #expect(resumedHours < fullHours, "resumed where it stopped: \(resumedHours) of \(fullHours) hours loaded again\n\(resumed.stdout)\n\(process.text)")
        let engine = SyncEngineTests()
        #expect(try await engine.contentDigest(crashed) == (try await engine.contentDigest(reference)))
        let (syncFrom, jobsRunning) = try await crashed.withConnection { connection async throws in
            try await connection.query(
                """
                SELECT min(sync_from)::text, (SELECT count(*) FROM liquidations.backfill_job WHERE status = 'running')
                FROM liquidations.asset
                """
            ).rows[0].decode(String.self, Int64.self)
        }
        #expect(syncFrom == "2025-01-08 00:00:00+00" && jobsRunning == 0)

        // Once finished, the same command has nothing to do; --restart reads it all again and,
        // the data being unchanged, writes nothing.
        let requestsBefore = try await fake.requestCount()
        let again = try await backfill(crashed, fake, arguments)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout.contains("btc: [2025-01-08T00:00:00Z, 2025-04-04T11:00:00Z) already loaded by an earlier backfill"), "\(again.stdout)")
        #expect(try await fake.requestCount() == requestsBefore)
        let restarted = try await backfill(crashed, fake, arguments + ["--restart"])
        #expect(restarted.status == 0, "\(restarted.stderr)")
        #expect(hoursLoaded(restarted) == fullHours)
        #expect(restarted.stdout.contains(" 0 rows inserted, 0 updated, "), "\(restarted.stdout)")
        #expect(try await engine.contentDigest(crashed) == (try await engine.contentDigest(reference)))
    }

    @Test func stoppedBetweenTrackingANewAssetAndStartingItsJobTheRerunLoadsTheRange() async throws {
        // A backfill of an asset not tracked yet starts tracking it and records its job; stopped
        // between the two (here the job cannot be recorded; a kill -9 there once left the asset
        // tracked with nothing loaded and no job, and the same command then had "nothing to
        // backfill"), the rerun of the same command must load the range.
        let fake = try await FakeKaikoProcess.start(["--now", t0, "--speed", "0"])
        defer { fake.stop() }
        let database = try await migrated()
        try await database.withConnection { connection async throws in
            try await connection.execute(script: """
                CREATE FUNCTION public.refuse_job() RETURNS trigger LANGUAGE plpgsql AS
                    $$ BEGIN RAISE EXCEPTION 'no new backfill jobs'; END $$;
                CREATE TRIGGER refuse BEFORE INSERT ON liquidations.backfill_job FOR EACH ROW EXECUTE FUNCTION public.refuse_job();
                """)
        }
        let stopped = try await backfill(database, fake, ["eth", "--from", "2025-03-01"])
        #expect(stopped.status != 0 && stopped.stderr.contains("no new backfill jobs"), "\(stopped.stderr)")
        let tracked = try await database.withConnection { connection async throws in
            try await connection.execute(script: "DROP TRIGGER refuse ON liquidations.backfill_job")
            return try await connection.query("SELECT count(*) FROM liquidations.asset").scalar(Int64.self)
        }
        #expect(tracked == 0, "tracking the asset and starting its job commit together")

        let rerun = try await backfill(database, fake, ["eth", "--from", "2025-03-01"])
        #expect(rerun.status == 0, "\(rerun.stderr)")
        let (watermark, hours) = try await database.withConnection { connection async throws in
            try await connection.query(
                "SELECT watermark::text, (SELECT count(*) FROM liquidations.token_interval) FROM liquidations.asset WHERE asset = 'eth'"
            ).rows[0].decode(String.self, Int64.self)
        }
        #expect(watermark == "2025-04-04 11:00:00+00" && hours == 34 * 24 + 11, "\(watermark) \(hours)")
    }

    @Test(arguments: ["example", "general"])
    func besideTheRunningServiceBothFinishAndTheHistoryIsExtended(envelope: String) async throws {
        let fake = try await FakeKaikoProcess.start(["--now", t0, "--speed", "0", "--latency-ms", "20", "--envelope", envelope])
        defer { fake.stop() }
        let database = try await migrated()
        #expect(try await LiqsyncBinary.run(["assets", "add", "btc", "--since", "2025-03-01"], database: database).status == 0)
        let service = try BackgroundProcess(
            LiqsyncBinary.url, ["run", "--poll-interval", "1", "--now", t0] + fake.liqsyncArguments,
            environment: fake.liqsyncEnvironment.merging(["DATABASE_URL": database.connectionString]) { $1 })
        let outcome = try await backfill(database, fake, ["btc", "--from", "2025-01-08"])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        service.signal(SIGTERM)
        #expect(await service.waitForExit(timeout: .seconds(10)) == 0)
        let syncFrom = try await database.withConnection { connection async throws in
            try await connection.query("SELECT sync_from::text FROM liquidations.asset WHERE asset = 'btc'").scalar(String.self)
        }
        #expect(syncFrom == "2025-01-08 00:00:00+00", "a contiguous backfill extends sync_from")
        try await expectViewsEqualTruth(database: database, fake: fake, asset: "btc")
    }
}
