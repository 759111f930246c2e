import Foundation
import Postgres
import Testing
import TestSupport

/// The `liqsync` binary against a stand-in API that misbehaves the way a gateway in front of
/// Kaiko plausibly would, and against ordinary operator mistakes: no bad answer changes a
/// stored row, every failure names the asset and the window and exits with the documented
/// code, and nothing hangs.
@Suite("Hostile conditions: bad answers, bad times, lost connections")
struct HostileConditionsTests {
    let t0 = SyncEngineTests.t0
    /// The window a backfill from 2025-03-25 covers at t0 (hours settle 10 minutes after they end).
    static let backfillWindow = "[2025-03-25T00:00:00Z, 2025-04-04T11:00:00Z)"

    func liqsync(
        _ arguments: [String], _ database: TestDatabase, _ fake: FakeKaikoProcess, now: String? = nil
    ) async throws -> (ProcessOutcome, Duration) {
        let started = ContinuousClock.now
        let outcome = try await LiqsyncBinary.run(
            arguments + ["--now", now ?? t0] + fake.liqsyncArguments, database: database, environment: fake.liqsyncEnvironment)
        return (outcome, started.duration(to: .now))
    }

    /// btc and eth loaded over ten days, as a user would have them before the gateway's bad day.
    func loaded(_ fake: FakeKaikoProcess) async throws -> TestDatabase {
        let database = try await TestDatabase.create()
        #expect(try await LiqsyncBinary.run(["migrate"], database: database).status == 0)
        let (backfill, _) = try await liqsync(["backfill", "btc", "eth", "--from", "2025-03-25"], database, fake)
        try #require(backfill.status == 0, "\(backfill.stdout) \(backfill.stderr)")
        return database
    }

    /// Every stored row, all columns (timestamps of the load and fingerprints included), and each
    /// asset's range: equal before and after means nothing was written.
    func checksum(_ database: TestDatabase) async throws -> String {
        try await database.withConnection { connection async throws in
            try await connection.query(
                """
                SELECT md5(
                    coalesce((SELECT string_agg(t::text, ';' ORDER BY asset, interval_start) FROM liquidations.token_interval AS t), '')
                    || coalesce((SELECT string_agg(e::text, ';' ORDER BY asset, interval_start, exchange)
                                 FROM liquidations.token_interval_exchange AS e), '')
                    || coalesce((SELECT string_agg(concat_ws(',', asset, enabled, sync_from, watermark), ';' ORDER BY asset)
                                 FROM liquidations.asset), ''))
                """
            ).scalar(String.self)
        }
    }

    func storedHours(_ database: TestDatabase, withLiquidations: Bool = false) async throws -> Int64 {
        try await database.withConnection { connection async throws in
            try await connection.query(
                "SELECT count(*) FROM liquidations.token_interval WHERE NOT \(withLiquidations) OR total_trades > 0"
            ).scalar(Int64.self)
        }
    }

    /// Answers that are not data pages, or not answers to the request (a gateway's canned page, a
    /// cache serving another asset's, window's or interval's page), or never finish, or never end,
    /// fail the window after the retry budget, in a backfill --restart and in a sync's lookback alike.
    @Test(arguments: [
        ("empty-object", 75, "is not a data page (no \"data\" array)"),
        ("no-query-echo", 75, "is not an answer to this request (no \"query\" echo"),
        ("other-asset", 75, "is not an answer to this request (the \"query\" echo names asset '"),
        ("other-window", 75, "is not an answer to this request (the \"query\" echo's query_start_time is "),
        ("other-interval", 75, "names interval '1d', not 1h"),
        ("null-data", 75, "is not a data page (\"data\" is null, not an array)"),
        ("proxy-error-page", 75, "upstream request timeout"),
        ("error-result", 75, "is not a data page (\"result\" is \"error\""),
        ("bad-gateway", 75, "HTTP 502"),
        ("truncated-body", 75, "unparseable JSON body"),
        ("slow-body:300", 75, "no complete answer within 1 s"),
        ("endless-pagination", 65, "more than the window has hours"),
    ])
    func aBadAnswerLeavesEveryStoredRowIdentical(fault: String, status: Int32, message: String) async throws {
        let fake = try await FakeKaikoProcess.start(["--now", t0, "--speed", "0"])
        defer { fake.stop() }
        let database = try await loaded(fake)
        let before = try await checksum(database)
        let hours = try await storedHours(database, withLiquidations: true)
        #expect(hours > 300, "most of the 2 x 251 hours have liquidations")
        try await fake.setPersistentFault(fault)
        // A second per request where the deadline is what is tested (a body that trickles in);
        // elsewhere the stand-in's answer, not how fast a loaded machine builds it, is the point.
        let budget = ["--max-attempts", "2", "--request-timeout", fault.hasPrefix("slow-body") ? "1" : "15"]

        let (backfill, backfillTook) = try await liqsync(
            ["backfill", "btc", "eth", "--from", "2025-03-25", "--restart", "--concurrency", "2"] + budget, database, fake)
        #expect(backfill.status == status, "\(backfill.stdout) \(backfill.stderr)")
        for asset in ["btc", "eth"] {
            let line = backfill.stdout.split(separator: "\n").first { $0.hasPrefix("\(asset): FAILED: ") } ?? ""
            #expect(line.contains("\(asset) \(Self.backfillWindow)"), "names asset and window: \(backfill.stdout)")
            #expect(line.contains(message), "\(line)")
        }
        #expect(backfillTook < .seconds(60), "\(backfillTook)")
        #expect(try await checksum(database) == before)

        // The sync pass an hour later re-reads the lookback through the same gateway.
        try await fake.advanceClock(hours: 1)
        let (sync, syncTook) = try await liqsync(["sync"] + budget, database, fake, now: SyncEngineTests.iso(SyncEngineTests.t0Seconds + 3600))
        #expect(sync.status == status, "\(sync.stdout) \(sync.stderr)")
        #expect(sync.stdout.contains("btc: FAILED: [2025-04-03T11:00:00Z, 2025-04-04T12:00:00Z): "), "\(sync.stdout)")
        #expect(syncTook < .seconds(60))
        #expect(try await checksum(database) == before)
        let lastError = try await database.withConnection { connection async throws in
            try await connection.query("SELECT last_error FROM liquidations.asset WHERE asset = 'btc'").scalar(String?.self)
        }
        #expect(lastError?.contains(message) == true, "\(String(describing: lastError))")

        // Once the gateway behaves again, the next pass catches up as if nothing happened.
        try await fake.setPersistentFault("none")
        let (recovered, _) = try await liqsync(["sync"], database, fake, now: SyncEngineTests.iso(SyncEngineTests.t0Seconds + 3600))
        #expect(recovered.status == 0, "\(recovered.stdout) \(recovered.stderr)")
        try await expectViewsEqualTruth(database: database, fake: fake, asset: "btc")
    }

    /// A cache in front that serves eth's page for a btc request and btc's for eth, in Kaiko's
    /// general envelope (`result: success` and all): every page names the other asset, so
    /// nothing is stored under the wrong one.
    @Test func aCacheServingAnotherAssetsPagesStoresNothing() async throws {
        let fake = try await FakeKaikoProcess.start(["--now", t0, "--speed", "0", "--envelope", "general"])
        defer { fake.stop() }
        let database = try await loaded(fake)
        let before = try await checksum(database)
        try await fake.setPersistentFault("other-asset:eth", asset: "btc")
        try await fake.setPersistentFault("other-asset:btc", asset: "eth")
        let (backfill, _) = try await liqsync(
            ["backfill", "btc", "eth", "--from", "2025-03-25", "--restart", "--max-attempts", "2"], database, fake)
        #expect(backfill.status == 75, "\(backfill.stdout) \(backfill.stderr)")
        #expect(backfill.stdout.contains("btc: FAILED: gave up on btc \(Self.backfillWindow) after 2 attempts"), "\(backfill.stdout)")
        #expect(backfill.stdout.contains("the \"query\" echo names asset 'eth', not btc"), "\(backfill.stdout)")
        #expect(backfill.stdout.contains("the \"query\" echo names asset 'btc', not eth"), "\(backfill.stdout)")
        #expect(try await checksum(database) == before)
    }

    @Test func aWellFormedButEmptyAnswerCannotEmptyStoredHoursUnlessAskedTo() async throws {
        let fake = try await FakeKaikoProcess.start(["--now", t0, "--speed", "0"])
        defer { fake.stop() }
        let database = try await loaded(fake)
        let before = try await checksum(database)
        try await fake.setPersistentFault("empty-data")

        let (backfill, _) = try await liqsync(["backfill", "btc", "eth", "--from", "2025-03-25", "--restart"], database, fake)
        #expect(backfill.status == 65, "\(backfill.stdout) \(backfill.stderr)")
        for asset in ["btc", "eth"] {
            let line = backfill.stdout.split(separator: "\n").first { $0.hasPrefix("\(asset): FAILED: ") } ?? ""
            #expect(line.contains("refused to write \(asset) \(Self.backfillWindow): the answer would empty"), "\(line)")
            #expect(line.contains("more than the 24 allowed (an outage upstream looks like this); nothing was changed"), "\(line)")
            #expect(line.contains("run again with --max-vanishing-share 1 --max-vanishing-hours"), "names the override: \(line)")
        }
        #expect(try await checksum(database) == before)

        // A sync at the defaults (its lookback: 24 hours) is refused the same way.
        try await fake.advanceClock(hours: 1)
        let later = SyncEngineTests.iso(SyncEngineTests.t0Seconds + 3600)
        let (sync, _) = try await liqsync(["sync"], database, fake, now: later)
        #expect(sync.status == 65, "\(sync.stdout) \(sync.stderr)")
        #expect(sync.stdout.contains("btc: FAILED: [2025-04-03T11:00:00Z, 2025-04-04T12:00:00Z): refused to write btc"), "\(sync.stdout)")
        #expect(try await checksum(database) == before)

        // Asked for explicitly, the emptiness is taken for what it is.
        let (allowed, _) = try await liqsync(
            ["backfill", "btc", "--from", "2025-03-25", "--restart", "--max-vanishing-hours", "1000", "--max-vanishing-share", "1"],
            database, fake)
        #expect(allowed.status == 0, "\(allowed.stdout) \(allowed.stderr)")
        let btcWithLiquidations = try await database.withConnection { connection async throws in
            try await connection.query(
                "SELECT count(*) FROM liquidations.token_interval WHERE asset = 'btc' AND total_trades > 0").scalar(Int64.self)
        }
        #expect(btcWithLiquidations == 0)
    }

    /// The sequence, at the defaults: two assets synced ten hours ago, then a sync at the
    /// real time through a gateway whose every page is well formed with the right echo but empty
    /// (an upstream that lost its data for a while), then the source healthy again.
    @Test func anOutageOfWellFormedEmptyAnswersErasesNothingAtTheDefaults() async throws {
        let fake = try await FakeKaikoProcess.start(["--now", t0, "--speed", "0"])
        defer { fake.stop() }
        let database = try await TestDatabase.create()
        #expect(try await LiqsyncBinary.run(["migrate"], database: database).status == 0)
        #expect(try await LiqsyncBinary.run(["assets", "add", "btc", "eth", "--since", "2025-03-25"], database: database).status == 0)
        let tenHoursAgo = SyncEngineTests.iso(SyncEngineTests.t0Seconds - 10 * 3600)
        let (synced, _) = try await liqsync(["sync"], database, fake, now: tenHoursAgo)
        try #require(synced.status == 0, "\(synced.stdout) \(synced.stderr)")
        let before = try await checksum(database)

        try await fake.setPersistentFault("empty-data")
        let (outage, _) = try await liqsync(["sync"], database, fake)
        #expect(outage.status == 65, "\(outage.stdout) \(outage.stderr)")
        for asset in ["btc", "eth"] {
            #expect(outage.stdout.contains("\(asset): FAILED: [2025-04-03T01:00:00Z, 2025-04-04T11:00:00Z): refused to write \(asset)"),
                    "\(outage.stdout)")
        }
        #expect(try await checksum(database) == before, "no hour emptied, no zero stored, no watermark moved")

        try await fake.setPersistentFault("none")
        let (recovered, _) = try await liqsync(["sync"], database, fake)
        #expect(recovered.status == 0, "\(recovered.stdout) \(recovered.stderr)")
        for asset in ["btc", "eth"] {
            try await expectViewsEqualTruth(database: database, fake: fake, asset: asset)
        }
    }

    /// What the guard lets through (a few hours of a quiet asset emptied by the same outage) stays
    /// open: not final, and re-read by the next pass even with no new hour, which restores it
    /// once the source is healthy again.
    @Test func zerosAnOutageLeftInQuietHoursAreRepairedWhenTheSourceRecovers() async throws {
        let fake = try await FakeKaikoProcess.start(["--now", t0, "--speed", "0", "--empty-hour-rate", "0.9"])
        defer { fake.stop() }
        let database = try await TestDatabase.create()
        #expect(try await LiqsyncBinary.run(["migrate"], database: database).status == 0)
        let assets = ["btc", "eth", "sol", "xrp"]
        #expect(try await LiqsyncBinary.run(["assets", "add"] + assets + ["--since", "2025-03-25"], database: database).status == 0)
        let (synced, _) = try await liqsync(["sync"], database, fake, now: SyncEngineTests.iso(SyncEngineTests.t0Seconds - 10 * 3600))
        try #require(synced.status == 0, "\(synced.stdout) \(synced.stderr)")

        try await fake.setPersistentFault("empty-data")
        let (outage, _) = try await liqsync(["sync"], database, fake)
        let openHours: [(String, Int64, Int64)] = try await database.withConnection { connection async throws in
            try await connection.query(
                """
                SELECT s.asset, s.open_hours,
                       (SELECT count(*) FROM liquidations.hourly AS h
                        WHERE h.asset = s.asset AND h.is_final AND h.interval_start IN
                              (SELECT interval_start FROM liquidations.emptied_hour AS o WHERE o.asset = s.asset))
                FROM liquidations.sync_status AS s ORDER BY s.asset
                """
            ).rows.map { try $0.decode(String.self, Int64.self, Int64.self) }
        }
        try #require(openHours.contains { $0.1 > 0 }, "the outage emptied some quiet hours: \(openHours)\n\(outage.stdout)")
        #expect(openHours.allSatisfy { $0.2 == 0 }, "an open hour is not final")
        let mismatched = try await viewMismatches(database: database, fake: fake, asset: openHours.first { $0.1 > 0 }!.0)
        #expect(!mismatched.isEmpty, "the outage's zeros are stored for now")

        // The source is healthy again; no new hour has settled since the outage's pass.
        try await fake.setPersistentFault("none")
        let requests = try await fake.requestCount()
        let (recovered, _) = try await liqsync(["sync"], database, fake)
        #expect(recovered.status == 0, "\(recovered.stdout) \(recovered.stderr)")
        #expect(try await fake.requestCount() > requests, "open hours are re-read with nothing new")
        for asset in assets {
            try await expectViewsEqualTruth(database: database, fake: fake, asset: asset)
        }
        // The hours that came back are closed; those that are really empty stay open (not final)
        // until a read a day after the outage confirms them.
        func open() async throws -> (all: Int64, withLiquidations: Int64) {
            try await database.withConnection { connection async throws in
                try await connection.query(
                    """
                    SELECT count(*), count(*) FILTER (WHERE h.total_trades > 0)
                    FROM liquidations.emptied_hour AS o JOIN liquidations.hourly AS h USING (asset, interval_start)
                    """
                ).rows[0].decode(Int64.self, Int64.self)
            }
        }
        let stillOpen = try await open()
        #expect(stillOpen.withLiquidations == 0, "every hour that came back is closed")
        try await fake.advanceClock(hours: 25)
        let (dayLater, _) = try await liqsync(["sync"], database, fake, now: SyncEngineTests.iso(SyncEngineTests.t0Seconds + 25 * 3600))
        #expect(dayLater.status == 0, "\(dayLater.stdout) \(dayLater.stderr)")
        #expect(try await open().all == 0, "confirmed a day later (\(stillOpen.all) were open)")
        for asset in assets {
            try await expectViewsEqualTruth(database: database, fake: fake, asset: asset)
        }
    }

    @Test func anUnknownAssetAnsweredWithEmptyPagesIsNotStoredAsZeros() async throws {
        let fake = try await FakeKaikoProcess.start(["--now", t0, "--speed", "0", "--unknown-assets-empty"])
        defer { fake.stop() }
        let database = try await TestDatabase.create()
        #expect(try await LiqsyncBinary.run(["migrate"], database: database).status == 0)

        let (backfill, _) = try await liqsync(["backfill", "btcc", "--from", "2025-03-25"], database, fake)
        #expect(backfill.status == 65, "\(backfill.stdout) \(backfill.stderr)")
        #expect(backfill.stdout.contains("btcc: FAILED: refused to store btcc \(Self.backfillWindow) as 251 hours without liquidations"))
        #expect(backfill.stdout.contains("unknown asset code"))
        let tracked = try await database.withConnection { connection async throws in
            try await connection.query("SELECT count(*) FROM liquidations.asset").scalar(Int64.self)
        }
        #expect(tracked == 0, "the backfill does not leave the code tracked")

        // Tracked by hand, the service refuses the same way and says so in the status.
        #expect(try await LiqsyncBinary.run(["assets", "add", "btcc", "--since", "2025-03-25"], database: database).status == 0)
        let (sync, _) = try await liqsync(["sync"], database, fake)
        #expect(sync.status == 65, "\(sync.stdout) \(sync.stderr)")
        #expect(try await storedHours(database) == 0)
        let status = try await LiqsyncBinary.run(["status", "--json"], database: database)
        #expect(status.stdout.contains("refused to store btcc"), "\(status.stdout)")
    }

    @Test func noWatermarkPassesTheLastSettledHour() async throws {
        let fake = try await FakeKaikoProcess.start(["--now", t0, "--speed", "0"])
        defer { fake.stop() }
        let database = try await TestDatabase.create()
        #expect(try await LiqsyncBinary.run(["migrate"], database: database).status == 0)

        // A --to thirty days ahead of "now" is refused before anything is asked or stored.
        let requests = try await fake.requestCount()
        let (future, _) = try await liqsync(["backfill", "btc", "--from", "2025-03-25", "--to", "2025-05-04"], database, fake)
        #expect(future.status == 64, "\(future.stderr)")
        #expect(future.stderr.contains("--to 2025-05-04 is past the last settled hour: hours before 2025-04-04T11:00:00Z"))
        #expect(try await fake.requestCount() == requests)
        let tracked = try await database.withConnection { connection async throws in
            try await connection.query("SELECT count(*) FROM liquidations.asset").scalar(Int64.self)
        }
        #expect(tracked == 0)

        let (loaded, _) = try await liqsync(["backfill", "btc", "--from", "2025-03-25"], database, fake)
        #expect(loaded.status == 0, "\(loaded.stderr)")
        let watermark = try await database.withConnection { connection async throws in
            try await connection.query("SELECT watermark::text FROM liquidations.asset").scalar(String.self)
        }
        #expect(watermark == "2025-04-04 11:00:00+00")

        // A clock that jumped a day ahead of the database server's is caught, not trusted.
        let ahead = SyncEngineTests.iso(Int64(Date().timeIntervalSince1970) + 86_400)
        let before = try await checksum(database)
        for command in [["sync"], ["backfill", "btc", "--from", "2025-03-25", "--restart"]] {
            let (jumped, _) = try await liqsync(command, database, fake, now: ahead)
            #expect(jumped.status == 78, "\(command): \(jumped.stdout) \(jumped.stderr)")
            #expect(jumped.stderr.contains("s ahead of the database server's"), "\(jumped.stderr)")
        }
        #expect(try await checksum(database) == before)
    }

    @Test func aConnectionLostMidChunkIsRecordedOnAWorkingOne() async throws {
        // Each answer takes fifteen seconds: time to end the session that holds the asset's claim
        // (with six, a full suite on two cores once left too little time to see the arrival and
        // end the session). The administrator's connection is opened before the sync starts, so
        // the window holds only a look at the claim. The chunk is then refused where it would
        // commit (the claim is gone: another liqsync may have the asset), and the failure is
        // recorded on a connection that works.
        let fake = try await FakeKaikoProcess.start(["--now", t0, "--speed", "0", "--latency-ms", "15000"])
        defer { fake.stop() }
        let database = try await TestDatabase.create()
        #expect(try await LiqsyncBinary.run(["migrate"], database: database).status == 0)
        #expect(try await LiqsyncBinary.run(["assets", "add", "btc", "--since", "2025-04-01"], database: database).status == 0)
        let admin = try await database.connect()
        let sync = try BackgroundProcess(
            LiqsyncBinary.url, ["sync", "--now", t0] + fake.liqsyncArguments,
            environment: fake.liqsyncEnvironment.merging(["DATABASE_URL": database.connectionString]) { $1 })
        // The session is ended only once the chunk's request has reached the API (an arrival is
        // recorded before the six seconds): ended earlier, between taking the lock and reading
        // the asset on that session, the failure is a lost connection, not a lost lock.
        let fetching = await eventually(timeout: .seconds(60)) {
            ((try? await fake.stats())?.arrivals.count ?? 0) > 0
        }
        #expect(fetching, "\(sync.text)")
        let terminated = await eventually(timeout: .seconds(20)) {
            let holders = (try? await admin.query(
                """
                SELECT pg_terminate_backend(session_pid) FROM liquidations.asset_claim WHERE session_pid <> pg_backend_pid()
                """
            ).rows.count) ?? 0
            return holders > 0
        }
        #expect(terminated, "\(sync.text)")
        let status = await sync.waitForExit(timeout: .seconds(60))
        #expect(status == 75, "\(sync.text)")
        let (lastError, watermarkMoved) = try await admin.query(
            "SELECT last_error, watermark > sync_from FROM liquidations.asset WHERE asset = 'btc'"
        ).rows[0].decode(String?.self, Bool.self)
        await admin.close()
        #expect(
            lastError?.contains("the claim on btc was lost") == true,
            "recorded on a working connection: \(String(describing: lastError))\n\(sync.text)")
        #expect(!watermarkMoved)
    }
}
