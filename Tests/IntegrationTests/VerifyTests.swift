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
        let broken = try await LiqsyncBinary.run(["verify", "--json"], database: database)
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
}
