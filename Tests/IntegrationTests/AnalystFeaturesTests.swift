import Foundation
import Postgres
import TestSupport
import Testing

/// What analysts see beyond the figures: which hours are final, what was revised, whether the
/// stored range equals the source, and exchange names from Kaiko's reference data.
@Suite("Analysts: is_final, revisions, reconcile, exchange names")
struct AnalystFeaturesTests {
    static let t0 = SyncEngineTests.t0
    static let t0Seconds = SyncEngineTests.t0Seconds

    func liqsync(_ arguments: [String], _ database: TestDatabase, _ fake: FakeKaikoProcess, now: Int64 = t0Seconds)
        async throws -> ProcessOutcome
    {
        try await LiqsyncBinary.run(
            arguments + ["--now", SyncEngineTests.iso(now)] + fake.liqsyncArguments, database: database,
            environment: fake.liqsyncEnvironment)
    }

    func tracked(_ assets: [String], since: String) async throws -> TestDatabase {
        let database = try await TestDatabase.create()
        #expect(try await LiqsyncBinary.run(["migrate"], database: database).status == 0)
        #expect(try await LiqsyncBinary.run(["assets", "add"] + assets + ["--since", since], database: database).status == 0)
        return database
    }

    /// Every stored figure set of `asset`: `hour|exchange` (exchange empty for the totals) → figures.
    func snapshot(_ database: TestDatabase, asset: String) async throws -> [String: String] {
        try await database.withConnection { connection async throws in
            let rows = try await connection.query(
                """
                SELECT interval_start::text || '|', concat_ws(',', total_trades, total_amount, long_trades, long_amount,
                                                             short_trades, short_amount)
                FROM liquidations.token_interval WHERE asset = \(asset)
                UNION ALL
                SELECT interval_start::text || '|' || exchange, concat_ws(',', total_trades, total_amount, long_trades,
                                                                          long_amount, short_trades, short_amount)
                FROM liquidations.token_interval_exchange WHERE asset = \(asset)
                """
            ).rows.map { try $0.decode(String.self, String.self) }
            return Dictionary(uniqueKeysWithValues: rows)
        }
    }

    /// The revisions logged after `id`, as `hour|exchange change old -> new`.
    func revisions(_ database: TestDatabase, asset: String, after id: Int64) async throws -> (Set<String>, Int64) {
        try await database.withConnection { connection async throws in
            let rows = try await connection.query(
                """
                SELECT revision_id, interval_start::text || '|' || coalesce(exchange, '') || ' ' || change || ' '
                       || coalesce(concat_ws(',', old_total_trades, old_total_amount, old_long_trades, old_long_amount,
                                             old_short_trades, old_short_amount), '') || ' -> '
                       || coalesce(concat_ws(',', new_total_trades, new_total_amount, new_long_trades, new_long_amount,
                                             new_short_trades, new_short_amount), '')
                FROM liquidations.revision WHERE asset = \(asset) AND revision_id > \(id) ORDER BY revision_id
                """
            ).rows.map { try $0.decode(Int64.self, String.self) }
            return (Set(rows.map(\.1)), rows.map(\.0).max() ?? id)
        }
    }

    /// What a re-read changed in figure sets that existed before it, written as the log writes it.
    func changes(from before: [String: String], to after: [String: String]) -> Set<String> {
        var expected: Set<String> = []
        let hoursBefore = Set(before.keys.map { String($0.split(separator: "|", omittingEmptySubsequences: false)[0]) })
        for (key, old) in before {
            let new = after[key]
            let isTotals = key.hasSuffix("|")
            if let new, new != old {
                expected.insert("\(key) changed \(old) -> \(new)")
            } else if new == nil, !isTotals {
                expected.insert("\(key) removed \(old) -> ")
            }
        }
        for (key, new) in after where before[key] == nil && !key.hasSuffix("|") {
            let hour = String(key.split(separator: "|")[0])
            if hoursBefore.contains(hour) { expected.insert("\(key) added  -> \(new)") }
        }
        return expected
    }

    @Test func hoursBecomeFinalOutsideTheHorizonAndEveryRevisionIsLoggedExactlyOnce() async throws {
        let fake = try await FakeKaikoProcess.start(["--now", Self.t0, "--speed", "0", "--revision-hours", "6"])
        defer { fake.stop() }
        let database = try await tracked(["btc"], since: "2025-04-01")
        var now = Self.t0Seconds
        let first = try await liqsync(["sync"], database, fake, now: now)
        try #require(first.status == 0, "\(first.stdout) \(first.stderr)")
        var lastRevision: Int64 = 0
        var revisionsSeen = 0
        for _ in 0..<4 {
            // While an hour is inside the horizon it is provisional; once outside, it is final
            // and equals the truth.
            let (provisional, finalHours, wrongFinal, finalBefore) = try await database.withConnection { connection async throws in
                try await connection.query(
                    """
                    SELECT count(*) FILTER (WHERE NOT h.is_final), count(*) FILTER (WHERE h.is_final),
                           count(*) FILTER (WHERE h.is_final <> (h.interval_start < s.final_before)),
                           s.final_before::text
                    FROM liquidations.hourly AS h JOIN liquidations.sync_status AS s USING (asset)
                    GROUP BY s.final_before
                    """
                ).rows[0].decode(Int64.self, Int64.self, Int64.self, String.self)
            }
            #expect(provisional == 24, "the lookback's 24 hours are provisional")
            #expect(finalHours > 0 && wrongFinal == 0, "\(finalBefore)")
            let mismatches = try await viewMismatches(database: database, fake: fake, asset: "btc", onlyFinal: true)
            #expect(mismatches.isEmpty, "final hours equal the truth: \(mismatches.prefix(3))")

            // The next hour: the lookback is re-read, revisions land in the log, exactly.
            let before = try await snapshot(database, asset: "btc")
            try await fake.advanceClock(hours: 1)
            now += 3600
            let next = try await liqsync(["sync"], database, fake, now: now)
            #expect(next.status == 0, "\(next.stdout) \(next.stderr)")
            let after = try await snapshot(database, asset: "btc")
            let (logged, newest) = try await revisions(database, asset: "btc", after: lastRevision)
            #expect(logged == changes(from: before, to: after), "logged: \(logged.sorted().prefix(3))")
            revisionsSeen += logged.count
            lastRevision = newest
        }
        #expect(revisionsSeen > 0, "provisional figures were revised")

        // Nothing new, or the same hours read again unchanged: nothing logged.
        #expect(try await liqsync(["sync"], database, fake, now: now).status == 0)
        let restart = try await liqsync(["backfill", "btc", "--from", "2025-04-01", "--restart"], database, fake, now: now)
        #expect(restart.status == 0, "\(restart.stderr)")
        #expect(try await revisions(database, asset: "btc", after: lastRevision).0.isEmpty)

        // A day is final once all its hours are; the status counts the day's revisions.
        let days = try await database.withConnection { connection async throws in
            try await connection.query(
                """
                SELECT count(*) FILTER (WHERE d.is_final), count(*) FILTER (WHERE NOT d.is_final),
                       count(*) FILTER (WHERE d.is_final <> ((d.day + 1)::timestamp AT TIME ZONE 'UTC' <= s.final_before))
                FROM liquidations.daily AS d JOIN liquidations.sync_status AS s USING (asset)
                """
            ).rows[0].decode(Int64.self, Int64.self, Int64.self)
        }
        #expect(days.0 > 0 && days.1 > 0 && days.2 == 0)
        let status = try await LiqsyncBinary.run(["status", "--json"], database: database)
        let entries = try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [[String: Any]]
        #expect(entries?.first?["revisions_24h"] as? Int == revisionsSeen)
        #expect(entries?.first?["lookback_hours"] as? Int == 24)

        // A longer lookback, set per asset, moves the horizon: more hours are provisional.
        let lookback = try await LiqsyncBinary.run(["assets", "lookback", "btc", "--hours", "48"], database: database)
        #expect(lookback.status == 0 && lookback.stdout.contains("re-reads 48 hours"), "\(lookback.stdout)")
        let provisionalNow = try await database.withConnection { connection async throws in
            try await connection.query("SELECT count(*) FROM liquidations.hourly WHERE NOT is_final").scalar(Int64.self)
        }
        #expect(provisionalNow == 48)

        // A service started with another lookback records it on the assets it syncs, so the
        // views stay true to what is re-read.
        try await fake.advanceClock(hours: 1)
        let longer = try await liqsync(["sync", "--lookback-hours", "72"], database, fake, now: now + 3600)
        #expect(longer.status == 0, "\(longer.stderr)")
        let (recorded, provisionalAfter) = try await database.withConnection { connection async throws in
            try await connection.query(
                "SELECT lookback_hours, (SELECT count(*) FROM liquidations.hourly WHERE NOT is_final) FROM liquidations.asset"
            ).rows[0].decode(Int.self, Int64.self)
        }
        #expect(recorded == 72 && provisionalAfter == 72)
    }

    @Test func reconcileFindsExactlyTheDamageAndRepairMakesEverythingClean() async throws {
        let fake = try await FakeKaikoProcess.start(["--now", Self.t0, "--speed", "0"])
        defer { fake.stop() }
        let database = try await tracked(["btc", "eth"], since: "2025-03-20")
        #expect(try await liqsync(["sync"], database, fake).status == 0)
        let range = ["--from", "2025-03-20", "--to", "2025-04-04T11:00Z"]
        let clean = try await liqsync(["reconcile"] + range, database, fake)
        #expect(clean.status == 0, "\(clean.stdout) \(clean.stderr)")
        #expect(clean.stdout.contains("OK: the stored hours equal the source."))

        // Damage by hand: a total edited, an exchange row deleted, one added, a whole hour deleted.
        let (edited, lostExchange, gap) = try await database.withConnection { connection async throws in
            let hours = try await connection.query(
                """
                SELECT interval_start::text, (SELECT min(exchange) FROM liquidations.token_interval_exchange e
                                              WHERE e.asset = t.asset AND e.interval_start = t.interval_start)
                FROM liquidations.token_interval AS t
                WHERE asset = 'btc' AND total_trades > 0 ORDER BY interval_start LIMIT 3
                """
            ).rows.map { try $0.decode(String.self, String.self) }
            try await connection.execute(script: """
                UPDATE liquidations.token_interval SET total_amount = total_amount + 1
                WHERE asset = 'btc' AND interval_start = '\(hours[0].0)';
                DELETE FROM liquidations.token_interval_exchange
                WHERE asset = 'btc' AND interval_start = '\(hours[1].0)' AND exchange = '\(hours[1].1)';
                INSERT INTO liquidations.exchange (exchange) VALUES ('zzzz') ON CONFLICT DO NOTHING;
                INSERT INTO liquidations.token_interval_exchange
                    (asset, interval_start, exchange, total_trades, total_amount, long_trades, long_amount, short_trades, short_amount)
                VALUES ('btc', '\(hours[1].0)', 'zzzz', 1, 1, 1, 1, 0, 0);
                DELETE FROM liquidations.token_interval_exchange WHERE asset = 'btc' AND interval_start = '\(hours[2].0)';
                DELETE FROM liquidations.token_interval WHERE asset = 'btc' AND interval_start = '\(hours[2].0)';
                """)
            return (hours[0].0, hours[1], hours[2].0)
        }
        let gapExchanges = try await fake.truth(asset: "btc", start: "2025-03-20T00:00:00Z", end: "2025-04-04T11:00:00Z")
            .first { iso($0.key) == iso(gap) }?.value.exchanges.count ?? 0
        let found = try await liqsync(["reconcile", "--json"] + range, database, fake)
        #expect(found.status == 1, "\(found.stdout) \(found.stderr)")
        let report = try JSONSerialization.jsonObject(with: Data(found.stdout.utf8)) as? [String: Any]
        #expect(report?["ok"] as? Bool == false)
        let differences = (report?["differences"] as? [[String: Any]]) ?? []
        let described = Set(differences.map { "\($0["asset"]!) \(iso($0["interval_start"] as! String)) \(($0["exchange"] as? String) ?? "totals") \($0["kind"]!)" })
        var expected: Set<String> = [
            "btc \(iso(edited)) totals differs", "btc \(iso(lostExchange.0)) \(lostExchange.1) missing",
            "btc \(iso(lostExchange.0)) zzzz extra", "btc \(iso(gap)) totals missing",
        ]
        #expect(described.isSuperset(of: expected), "\(described)")
        // The hour deleted with its exchange rows: each is missing too.
        expected.formUnion(described.filter { $0.hasPrefix("btc \(iso(gap)) ") && $0.hasSuffix(" missing") })
        #expect(described == expected && differences.count == 4 + gapExchanges, "only the damage: \(described)")
        #expect(differences.allSatisfy { $0.keys.sorted() == ["asset", "exchange", "interval_start", "kind", "source", "stored"] })

        let repaired = try await liqsync(["reconcile", "--repair"] + range, database, fake)
        #expect(repaired.status == 0, "\(repaired.stdout) \(repaired.stderr)")
        #expect(repaired.stdout.contains("REPAIRED: \(4 + gapExchanges) differences"), "\(repaired.stdout)")
        #expect(try await liqsync(["reconcile"] + range, database, fake).status == 0)
        let verify = try await LiqsyncBinary.run(["verify"], database: database)
        #expect(verify.status == 0, "\(verify.stdout)")
        try await expectViewsEqualTruth(database: database, fake: fake, asset: "btc")
        // The repair of hours that were stored is in the log; the hour that was missing is not a revision.
        let logged = try await database.withConnection { connection async throws in
            try await connection.query(
                "SELECT string_agg(coalesce(exchange, 'totals') || ' ' || change, ',' ORDER BY exchange NULLS FIRST) FROM liquidations.revision"
            ).scalar(String.self)
        }
        #expect(logged == "totals changed,\(lostExchange.1) added,zzzz removed", "\(logged)")
    }

    /// reconcile works within the service's settings (its settle delay bounds the hours compared,
    /// so a service that settles sooner cannot make it write an unsettled hour) and one asset's
    /// failure is reported while the others are reconciled, with the exit status `sync` would give.
    @Test func reconcileUsesTheSettleDelayAndOneAssetsFailureDoesNotStopTheOthers() async throws {
        let fake = try await FakeKaikoProcess.start(["--now", Self.t0, "--speed", "0"])
        defer { fake.stop() }
        let database = try await tracked(["btc", "eth", "sol"], since: "2025-04-01")
        // A service settling hours at once: its watermark is an hour past the default's last settled hour.
        #expect(try await liqsync(["sync", "--settle-delay", "0"], database, fake).status == 0)
        try await database.withConnection { connection async throws in
            try await connection.execute(script: """
                UPDATE liquidations.token_interval SET total_amount = total_amount + 1
                WHERE asset IN ('btc', 'sol') AND interval_start IN ('2025-04-02 00:00+00', '2025-04-04 11:00+00');
                """)
        }
        try await fake.setPersistentFault("server-error", asset: "eth")
        let range = ["--from", "2025-04-01", "--to", "2025-04-05"]
        let repaired = try await liqsync(["reconcile", "--repair", "--max-attempts", "1"] + range, database, fake)
        #expect(repaired.status == 75, "eth's temporary failure: \(repaired.stdout) \(repaired.stderr)")
        #expect(repaired.stdout.contains("eth: FAILED: gave up on eth"), "\(repaired.stdout)")
        for asset in ["btc", "sol"] {
            #expect(repaired.stdout.contains("\(asset) [2025-04-01T00:00:00Z, 2025-04-04T11:00:00Z): 83 hours compared, 1 difference; 1 hours rewritten"),
                    "only settled hours, the others reconciled: \(repaired.stdout)")
        }
        // The hour the default settle delay leaves out is compared with the service's setting.
        let atZero = try await liqsync(["reconcile", "--repair", "--settle-delay", "0", "--asset", "btc"] + range, database, fake)
        #expect(atZero.status == 0, "\(atZero.stdout) \(atZero.stderr)")
        #expect(atZero.stdout.contains("btc [2025-04-01T00:00:00Z, 2025-04-04T12:00:00Z): 84 hours compared, 1 difference"), "\(atZero.stdout)")
        let json = try await liqsync(["reconcile", "--json", "--max-attempts", "1"] + range, database, fake)
        #expect(json.status == 75, "\(json.stdout)")
        let report = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        let errors = ((report?["assets"] as? [[String: Any]]) ?? []).map { ($0["asset"] as? String ?? "", $0["error"] as? String) }
        #expect(errors.map(\.0) == ["btc", "eth", "sol"] && errors[1].1?.contains("gave up on eth") == true && errors[0].1 == nil)
        #expect(report?["ok"] as? Bool == false)
    }

    @Test func exchangeNamesComeFromTheReferenceDataAndTheStoredOnesStayWhenItIsUnreachable() async throws {
        let fake = try await FakeKaikoProcess.start(["--now", Self.t0, "--speed", "0"])
        defer { fake.stop() }
        let database = try await TestDatabase.create()
        #expect(try await LiqsyncBinary.run(["migrate"], database: database).status == 0)
        func name(_ code: String) async throws -> String? {
            try await database.withConnection { connection async throws in
                try await connection.query("SELECT name FROM liquidations.exchange WHERE exchange = \(code)").rows.first?
                    .decode(String?.self, at: 0)
            }
        }
        #expect(try await name("hbdm") == "Huobi DM", "the shipped list")

        let unreachable = try await LiqsyncBinary.run(
            ["exchanges", "refresh", "--reference-url", "http://127.0.0.1:1", "--request-timeout", "2"], database: database)
        #expect(unreachable.status == 75, "\(unreachable.stderr)")
        #expect(unreachable.stderr.contains("cannot read exchange names from 127.0.0.1"))
        #expect(try await name("hbdm") == "Huobi DM", "kept when the reference data cannot be read")

        let refresh = try await LiqsyncBinary.run(
            ["exchanges", "refresh"] + fake.liqsyncArguments, database: database, environment: fake.liqsyncEnvironment)
        #expect(refresh.status == 0, "\(refresh.stderr)")
        #expect(refresh.stdout.contains("15 exchanges listed by 127.0.0.1"), "\(refresh.stdout)")
        #expect(refresh.stdout.contains("added"))
        #expect(try await name("hbdm") == "HTX Futures")
        #expect(try await name("dydx") == "dYdX")
        #expect(try await name("bbit") == "Bybit")
        let again = try await LiqsyncBinary.run(
            ["exchanges", "refresh"] + fake.liqsyncArguments, database: database, environment: fake.liqsyncEnvironment)
        #expect(again.stdout.contains(": 0 renamed, 0 added."), "\(again.stdout)")
    }

    /// `2025-03-20T05:00:00Z` or `2025-03-20 05:00:00+00` as the former.
    func iso(_ text: String) -> String {
        text.contains("T") ? text : String(text.prefix(10)) + "T" + String(text.dropFirst(11).prefix(8)) + "Z"
    }
}
