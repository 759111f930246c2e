import Foundation
import Postgres
import Testing

@Suite("liqsync verify finds what is wrong")
struct VerifyTests {
    @Test func cleanDataPassesAndEachInjectedProblemIsFound() async throws {
        let fake = try await FakeKaikoProcess.start(["--now", SyncEngineTests.t0, "--speed", "0"])
        defer { fake.stop() }
        let database = try await TestDatabase.create()
        #expect(try await LiqsyncBinary.run(["migrate"], database: database).status == 0)
        #expect(try await LiqsyncBinary.run(["assets", "add", "btc", "eth", "--since", "2025-03-20"], database: database).status == 0)
        let synced = try await LiqsyncBinary.run(
            ["sync", "--now", SyncEngineTests.t0] + fake.liqsyncArguments, database: database, environment: fake.liqsyncEnvironment)
        #expect(synced.status == 0)

        let clean = try await LiqsyncBinary.run(["verify"], database: database)
        #expect(clean.status == 0, "\(clean.stdout)")
        #expect(clean.stdout.hasPrefix("OK: "))

        // Break it in every way verify knows, bypassing the constraints that normally prevent it.
        try await database.withConnection { connection async throws in
            try await connection.execute(script: """
                ALTER TABLE liquidations.token_interval DROP CONSTRAINT token_interval_interval_start_check;
                ALTER TABLE liquidations.token_interval DROP CONSTRAINT token_interval_total_trades_check;
                ALTER TABLE liquidations.token_interval DROP CONSTRAINT token_interval_long_trades_check;
                DELETE FROM liquidations.token_interval
                 WHERE asset = 'btc' AND interval_start IN ('2025-03-25 10:00+00', '2025-03-25 11:00+00');
                INSERT INTO liquidations.token_interval
                    (asset, interval_start, total_trades, total_amount, long_trades, long_amount, short_trades, short_amount)
                VALUES ('btc', '2025-03-26 10:30+00', 0, 0, 0, 0, 0, 0);
                UPDATE liquidations.token_interval SET long_trades = long_trades + 1, total_trades = total_trades
                 WHERE asset = 'eth' AND interval_start = (SELECT min(interval_start) FROM liquidations.token_interval_exchange WHERE asset = 'eth');
                UPDATE liquidations.token_interval_exchange SET total_amount = total_amount + 1000, long_amount = long_amount + 1000
                 WHERE asset = 'btc' AND interval_start = (SELECT max(interval_start) FROM liquidations.token_interval_exchange WHERE asset = 'btc')
                   AND exchange = (SELECT min(exchange) FROM liquidations.token_interval_exchange WHERE asset = 'btc'
                                   AND interval_start = (SELECT max(interval_start) FROM liquidations.token_interval_exchange WHERE asset = 'btc'));
                UPDATE liquidations.token_interval SET total_trades = -1, long_trades = -1, short_trades = 0,
                       total_amount = 0, long_amount = 0, short_amount = 0
                 WHERE asset = 'eth' AND interval_start = '2025-03-28 00:00+00';
                DELETE FROM liquidations.token_interval_exchange WHERE asset = 'eth' AND interval_start = '2025-03-28 00:00+00';
                INSERT INTO liquidations.token_interval_exchange
                    (asset, interval_start, exchange, total_trades, total_amount, long_trades, long_amount, short_trades, short_amount)
                VALUES ('eth', '2025-03-29 00:00+00', 'nowhere', 0, 0, 0, 0, 0, 0);
                INSERT INTO liquidations.token_interval
                    (asset, interval_start, total_trades, total_amount, long_trades, long_amount, short_trades, short_amount)
                VALUES ('ghost', '2025-03-29 00:00+00', 0, 0, 0, 0, 0, 0);
                """)
        }
        // Edits by hand, not through liqsync's writer: every row is checked (--full) to find them.
        let broken = try await LiqsyncBinary.run(["verify", "--full", "--json"], database: database)
        #expect(broken.status == 1)
        let report = try #require(try JSONSerialization.jsonObject(with: Data(broken.stdout.utf8)) as? [String: Any])
        #expect(report["ok"] as? Bool == false)
        let counts = try #require(report["counts"] as? [String: Int])
        #expect(counts["gap"] == 1)
        #expect(counts["misaligned_hour"] == 1)
        #expect((counts["long_short_mismatch"] ?? 0) >= 1)
        #expect((counts["exchange_sum_mismatch"] ?? 0) >= 2, "the edited exchange row and the eth hour")
        #expect(counts["negative_value"] == 1)
        let problems = try #require(report["problems"] as? [[String: Any]])
        // No foreign key holds exchange rows to their hour and exchange (migration 0007): the
        // hours deleted above left theirs behind, and an unknown exchange went in.
        let orphans = problems.filter { $0["kind"] as? String == "orphan_exchange_row" }.compactMap { $0["detail"] as? String }
        #expect(orphans.contains("exchange nowhere is not in liquidations.exchange"), "\(orphans)")
        #expect(orphans.contains { $0.hasSuffix(" row without its hourly row") }, "\(orphans)")
        #expect(counts["orphan_exchange_row"] == orphans.count)
        // Nor one the hourly rows to their asset (migration 0008): an hour of an untracked asset.
        let ghost = problems.filter { $0["kind"] as? String == "orphan_hour" }
        #expect(counts["orphan_hour"] == 1 && ghost.first?["asset"] as? String == "ghost", "\(ghost)")
        let gap = problems.first { $0["kind"] as? String == "gap" }
        #expect(gap?["asset"] as? String == "btc")
        #expect(gap?["start"] as? String == "2025-03-25T10:00:00Z" && gap?["end"] as? String == "2025-03-25T12:00:00Z")

        let text = try await LiqsyncBinary.run(["verify", "--asset", "btc"], database: database)
        #expect(text.status == 1)
        #expect(text.stdout.contains("gap: 1"))
        #expect(text.stdout.contains("2 hour(s) missing below the watermark"))
        #expect(!text.stdout.contains("eth "), "--asset limits the report")
        let scoped = try await LiqsyncBinary.run(["verify", "--from", "2025-04-01", "--asset", "btc", "--asset", "eth"], database: database)
        #expect(!scoped.stdout.contains("gap:"), "the gap is before --from")
    }

    func verify(_ arguments: [String], _ database: TestDatabase) async throws -> (status: Int32, report: [String: Any]) {
        let outcome = try await LiqsyncBinary.run(["verify", "--json"] + arguments, database: database)
        let report = try #require(try JSONSerialization.jsonObject(with: Data(outcome.stdout.utf8)) as? [String: Any], "\(outcome.stderr)")
        return (outcome.status, report)
    }

    /// The default verification: the first checks every row; each later one, row by row, the
    /// days liqsync changed since the last clean one, and the whole history's days through their
    /// rollups; after one that found problems, the next starts from the last clean one again.
    @Test func aVerificationChecksWhatChangedSinceTheLastCleanOneAndEveryDayThroughTheRollups() async throws {
        let fake = try await FakeKaikoProcess.start(["--now", SyncEngineTests.t0, "--speed", "0"])
        defer { fake.stop() }
        let database = try await TestDatabase.create()
        #expect(try await LiqsyncBinary.run(["migrate"], database: database).status == 0)
        #expect(try await LiqsyncBinary.run(["assets", "add", "btc", "eth", "--since", "2025-03-20"], database: database).status == 0)
        func sync(plusHours hours: Int64) async throws {
            let outcome = try await LiqsyncBinary.run(
                ["sync", "--now", SyncEngineTests.iso(SyncEngineTests.t0Seconds + hours * 3600)] + fake.liqsyncArguments,
                database: database, environment: fake.liqsyncEnvironment)
            #expect(outcome.status == 0, "\(outcome.stdout) \(outcome.stderr)")
        }
        try await sync(plusHours: 0)

        let first = try await verify([], database)
        #expect(first.status == 0 && first.report["scope"] as? String == "full" && first.report["recorded"] as? Bool == true)
        let stored = try #require(first.report["hours_checked"] as? Int)
        let nothingNew = try await verify([], database)
        #expect(nothingNew.report["scope"] as? String == "changed" && nothingNew.report["ok"] as? Bool == true)
        #expect(nothingNew.report["hours_checked"] as? Int == 0, "nothing changed since: \(nothingNew.report)")
        #expect((nothingNew.report["days_checked"] as? Int ?? 0) > 20, "every day, through the rollups")

        // Three more hours: their day is checked row by row, not the history.
        try await fake.advanceClock(hours: 3)
        try await sync(plusHours: 3)
        let changed = try await verify([], database)
        let checked = try #require(changed.report["hours_checked"] as? Int)
        #expect(changed.status == 0 && changed.report["scope"] as? String == "changed")
        #expect(checked > 0 && checked < stored / 4, "the changed days only: \(checked) of \(stored)")

        // A day lost from the hours and the rollups alike: found through the rollups, without
        // reading the history's hours.
        try await database.withConnection { connection async throws in
            try await connection.execute(script: """
                DELETE FROM liquidations.token_interval_exchange WHERE asset = 'eth' AND interval_start >= '2025-03-22' AND interval_start < '2025-03-23';
                DELETE FROM liquidations.token_interval WHERE asset = 'eth' AND interval_start >= '2025-03-22' AND interval_start < '2025-03-23';
                DELETE FROM liquidations.token_day_exchange WHERE asset = 'eth' AND day = '2025-03-22';
                DELETE FROM liquidations.token_day WHERE asset = 'eth' AND day = '2025-03-22';
                """)
        }
        let gap = try await verify([], database)
        #expect(gap.status == 1 && gap.report["scope"] as? String == "changed")
        let counts = try #require(gap.report["counts"] as? [String: Int])
        #expect(counts["gap"] == 1, "\(gap.report)")
        let problems = try #require(gap.report["problems"] as? [[String: Any]])
        let found = problems.first { $0["kind"] as? String == "gap" }
        #expect(found?["asset"] as? String == "eth" && found?["start"] as? String == "2025-03-22T00:00:00Z"
            && found?["end"] as? String == "2025-03-23T00:00:00Z", "\(problems)")
        // eth's March no longer adds up to its days either: a month is compared with its days
        // when one of them changed through liqsync, or by --full.
        #expect(counts["rollup_mismatch"] == 0, "\(problems)")
        let full = try await verify(["--full"], database)
        let fullProblems = try #require(full.report["problems"] as? [[String: Any]])
        #expect(full.report["scope"] as? String == "full" && (full.report["counts"] as? [String: Int])?["gap"] == 1)
        #expect(fullProblems.contains {
            $0["kind"] as? String == "rollup_mismatch" && $0["asset"] as? String == "eth"
                && ($0["detail"] as? String)?.hasPrefix("monthly rollup: differs") == true
        }, "\(fullProblems)")

        // After a verification that found problems, the next starts where the last clean one did.
        let again = try await verify([], database)
        #expect(again.report["checked_since"] as? String == gap.report["checked_since"] as? String)
        #expect(again.status == 1)
    }
}
