import Foundation
import LiquidationStore
import Logging
import Postgres
import Testing

/// The analysts' documentation: every example query in docs/bi.md runs, as a reader, against
/// known data, with its result checked; and the views stay index-served at scale.
@Suite("BI: documented queries and plans")
struct BIQueryTests {
    /// The `-- example: name` SQL blocks of docs/bi.md.
    static func examples() throws -> [String: String] {
        let text = try String(contentsOf: TestCluster.repositoryRoot.appendingPathComponent("docs/bi.md"), encoding: .utf8)
        var examples: [String: String] = [:]
        for block in text.components(separatedBy: "```sql\n").dropFirst() {
            let sql = block.components(separatedBy: "```")[0]
            guard let first = sql.split(separator: "\n").first, first.hasPrefix("-- example: ") else { continue }
            examples[String(first.dropFirst("-- example: ".count))] = sql
        }
        return examples
    }

    struct Hour {
        let asset: String
        let index: Int
        var longTrades: Int64 { Int64(index % 4 + 1 + (asset == "eth" ? 1 : 0)) }
        var shortTrades: Int64 { Int64(index % 3 + 1) }
        var longAmount: Decimal { Decimal(index * 10 + (asset == "eth" ? 1 : 0)) + Decimal(string: "0.5")! }
        var shortAmount: Decimal { Decimal(index * 2) + Decimal(string: "0.25")! }
        var day: Int { index / 24 }
    }

    static let assets = ["btc", "eth"]
    static let hours = assets.flatMap { asset in (0..<72).map { Hour(asset: asset, index: $0) } }

    /// 72 hours per asset from the start of the day three days ago (UTC) to the start of today,
    /// each hour's long side on Bybit and short side on OKX.
    /// Rows are inserted at schema version 11 and the rest of the migrations applied after:
    /// migration 0012 builds the daily rollups from them, as on an upgraded database.
    func seed(_ database: TestDatabase) async throws {
        try await database.withConnection { connection async throws in
            let migrations = try Migration.embedded()
            _ = try await MigrationRunner(
                connection: connection, migrations: migrations.filter { $0.version <= 11 }, logger: Logger(label: "t")
            ).migrate()
            try await connection.execute(script: """
                INSERT INTO liquidations.asset (asset, sync_from, watermark)
                SELECT a, date_trunc('day', now()) - interval '3 days', date_trunc('day', now())
                FROM unnest(ARRAY['btc', 'eth']) AS a;
                """)
            for hour in Self.hours {
                let offset = "\(hour.index) hours"
                try await connection.query(
                    """
                    INSERT INTO liquidations.token_interval
                        (asset, interval_start, total_trades, total_amount, long_trades, long_amount, short_trades, short_amount)
                    VALUES (\(hour.asset), date_trunc('day', now()) - interval '3 days' + \(offset)::interval,
                            \(hour.longTrades + hour.shortTrades), \(hour.longAmount + hour.shortAmount),
                            \(hour.longTrades), \(hour.longAmount), \(hour.shortTrades), \(hour.shortAmount))
                    """)
                try await connection.query(
                    """
                    INSERT INTO liquidations.token_interval_exchange
                        (asset, interval_start, exchange, total_trades, total_amount, long_trades, long_amount, short_trades, short_amount)
                    VALUES (\(hour.asset), date_trunc('day', now()) - interval '3 days' + \(offset)::interval, 'bbit',
                            \(hour.longTrades), \(hour.longAmount), \(hour.longTrades), \(hour.longAmount), 0, 0),
                           (\(hour.asset), date_trunc('day', now()) - interval '3 days' + \(offset)::interval, 'okex',
                            \(hour.shortTrades), \(hour.shortAmount), 0, 0, \(hour.shortTrades), \(hour.shortAmount))
                    """)
            }
            _ = try await MigrationRunner(connection: connection, migrations: migrations, logger: Logger(label: "t")).migrate()
        }
    }

    /// A revision of btc's last hour (as Kaiko might send one), for the revisions example.
    func seedRevision(_ database: TestDatabase) async throws {
        try await database.withConnection { connection async throws in
            try await connection.execute(script: """
                INSERT INTO liquidations.revision
                    (asset, interval_start, exchange, change, old_total_trades, old_total_amount, old_long_trades,
                     old_long_amount, old_short_trades, old_short_amount, new_total_trades, new_total_amount,
                     new_long_trades, new_long_amount, new_short_trades, new_short_amount, data_version)
                VALUES ('btc', date_trunc('day', now()) - interval '1 hour', NULL, 'changed',
                        3, 100.25, 1, 50, 2, 50.25, 4, 120.75, 2, 70.5, 2, 50.25, 'v1');
                """)
        }
    }

    func run(_ sql: String, as reader: PostgresConnection) async throws -> [[String: String]] {
        let rows = try await reader.query(PostgresQuery(unsafeSQL: sql)).rows
        return rows.map { row in
            Dictionary(uniqueKeysWithValues: row.columns.names.enumerated().map { ($0.element, row.values[$0.offset] ?? "NULL") })
        }
    }

    func decimal(_ text: String?) -> Decimal { Decimal(string: text ?? "x", locale: Locale(identifier: "en_US_POSIX")) ?? .nan }

    @Test func everyDocumentedQueryRunsAsAReaderAndReturnsTheExpectedResult() async throws {
        let examples = try Self.examples()
        #expect(examples.count >= 10)
        let database = try await TestDatabase.create()
        try await seed(database)
        try await seedRevision(database)
        let analyst = "analyst_\(UUID().uuidString.prefix(6).lowercased())"
        try await database.withConnection { connection async throws in
            try await connection.execute(script: "CREATE ROLE \(analyst) LOGIN; GRANT liquidations_reader TO \(analyst);")
        }
        let reader = try await PostgresConnection.connect(
            PostgresConfiguration(connectionString: "dbname=\(database.name) user=\(analyst)"))
        defer { Task { await reader.close() } }
        let hours = Self.hours

        // Daily per asset: 3 days x 2 assets, sums of the hours.
        let daily = try await run(try #require(examples["daily-per-asset"]), as: reader)
        #expect(daily.count == 6)
        for row in daily {
            let day = daily.map { $0["day"]! }.sorted().firstIndex(of: row["day"]!)! / 2
            let inDay = hours.filter { $0.asset == row["asset"] && $0.day == day }
            #expect(decimal(row["total_amount_usd"]) == inDay.reduce(Decimal(0)) { $0 + $1.longAmount + $1.shortAmount })
            #expect(Int64(row["total_trades"]!) == inDay.reduce(Int64(0)) { $0 + $1.longTrades + $1.shortTrades })
        }

        // Top exchanges over 7 days: Bybit carries the long side, OKX the short side.
        let top = try await run(try #require(examples["top-exchanges-7d"]), as: reader)
        #expect(top.map { $0["exchange_name"]! } == ["Bybit", "OKX"])
        #expect(decimal(top[0]["liquidated_usd"]) == hours.reduce(Decimal(0)) { $0 + $1.longAmount })
        #expect(decimal(top[1]["liquidated_usd"]) == hours.reduce(Decimal(0)) { $0 + $1.shortAmount })

        // Imbalance: btc, newest day first.
        let imbalance = try await run(try #require(examples["long-short-imbalance"]), as: reader)
        #expect(imbalance.count == 3)
        let newest = hours.filter { $0.asset == "btc" && $0.day == 2 }
        let long = newest.reduce(Decimal(0)) { $0 + $1.longAmount }
        let short = newest.reduce(Decimal(0)) { $0 + $1.shortAmount }
        #expect(decimal(imbalance[0]["net_long_liquidated_usd"]) == long - short)
        var share = long / (long + short)
        var rounded = Decimal()
        NSDecimalRound(&rounded, &share, 4, .plain)
        #expect(decimal(imbalance[0]["long_share"]) == rounded)

        // Largest hours: the ten largest of the seeded hours, largest first.
        let largest = try await run(try #require(examples["largest-hours"]), as: reader)
        let tenLargest = hours.map { $0.longAmount + $0.shortAmount }.sorted(by: >).prefix(10)
        #expect(largest.map { decimal($0["total_amount_usd"]) } == Array(tenLargest))
        #expect(largest.prefix(2).map { $0["asset"]! } == ["eth", "btc"])

        // Exchanges by month: over the months, Bybit's sums are the long sides, OKX's the short.
        let byMonth = try await run(try #require(examples["exchange-by-month"]), as: reader)
        let months = Set(byMonth.map { $0["month"]! })
        #expect((1...2).contains(months.count) && byMonth.count == 2 * months.count)
        let bybit = byMonth.filter { $0["exchange_name"] == "Bybit" }.reduce(Decimal(0)) { $0 + decimal($1["liquidated_usd"]) }
        let okx = byMonth.filter { $0["exchange_name"] == "OKX" }.reduce(Decimal(0)) { $0 + decimal($1["liquidated_usd"]) }
        #expect(bybit == hours.reduce(Decimal(0)) { $0 + $1.longAmount })
        #expect(okx == hours.reduce(Decimal(0)) { $0 + $1.shortAmount })

        #expect(byMonth.allSatisfy { $0["assets"] == "2" }, "both assets on both exchanges")

        // Each exchange's share of the last year, every asset together: Bybit's is the long sides'.
        let yearShares = try await run(try #require(examples["exchange-share-year"]), as: reader)
        #expect(yearShares.map { $0["exchange_name"]! } == ["Bybit", "OKX"])
        var longShare = 100 * hours.reduce(Decimal(0)) { $0 + $1.longAmount }
            / hours.reduce(Decimal(0)) { $0 + $1.longAmount + $1.shortAmount }
        var roundedShare = Decimal()
        NSDecimalRound(&roundedShare, &longShare, 2, .plain)
        #expect(decimal(yearShares.first?["share_pct"]) == roundedShare)

        // Assets by year: each asset's sums over its hours.
        let byYear = try await run(try #require(examples["asset-by-year"]), as: reader)
        for asset in Self.assets {
            let rows = byYear.filter { $0["asset"] == asset }
            let inAsset = hours.filter { $0.asset == asset }
            #expect(!rows.isEmpty)
            #expect(rows.reduce(Decimal(0)) { $0 + decimal($1["liquidated_usd"]) }
                == inAsset.reduce(Decimal(0)) { $0 + $1.longAmount + $1.shortAmount })
            #expect(rows.reduce(Int64(0)) { $0 + Int64($1["trades"]!)! } == inAsset.reduce(Int64(0)) { $0 + $1.longTrades + $1.shortTrades })
        }

        // Exchange shares add up to 100 per asset.
        let shares = try await run(try #require(examples["exchange-share"]), as: reader)
        #expect(shares.count == 4)
        for asset in Self.assets {
            let assetShares = shares.filter { $0["asset"] == asset }
            #expect(assetShares.first?["exchange_name"] == "Bybit")
            let total = assetShares.reduce(Decimal(0)) { $0 + decimal($1["share_pct"]) }
            #expect(abs(NSDecimalNumber(decimal: total).doubleValue - 100) <= 0.011, "rounded shares add up to 100")
        }

        // Final days: the last day is within the 24 hours below the watermark, so provisional.
        let finalDays = try await run(try #require(examples["final-days"]), as: reader)
        #expect(finalDays.count == 4)
        #expect(Set(finalDays.map { $0["day"]! }).count == 2)

        // Recent revisions: the one seeded, with its figures before and after.
        let revised = try await run(try #require(examples["recent-revisions"]), as: reader)
        #expect(revised.count == 1)
        #expect(revised.first?["scope"] == "totals" && revised.first?["change"] == "changed")
        #expect(decimal(revised.first?["old_total_amount_usd"]) == Decimal(string: "100.25")!)
        #expect(decimal(revised.first?["new_total_amount_usd"]) == Decimal(string: "120.75")!)

        // Hours covered equal hours expected: 72 each, below the watermark.
        let covered = try await run(try #require(examples["hours-covered"]), as: reader)
        #expect(covered.map { $0["asset"]! } == ["btc", "eth"])
        #expect(covered.allSatisfy { $0["hours_stored"] == "72" && $0["hours_expected"] == "72" })
    }

    @Test func thirtyDaysOfOneAssetAreIndexServedAndTheDailyViewsReadTheRollupsAtOneHundredAssetsTimesTwoYears() async throws {
        let database = try await TestDatabase.create()
        let plans: [String] = try await database.withConnection { connection async throws in
            let migrations = try Migration.embedded()
            _ = try await MigrationRunner(
                connection: connection, migrations: migrations.filter { $0.version <= 11 }, logger: Logger(label: "t")
            ).migrate()
            // 100 assets x 17,520 hours, one exchange row per hour. Foreign-key triggers are
            // skipped for the load (superuser-only session setting); the data satisfies them.
            try await connection.execute(script: """
                SET session_replication_role = replica;
                INSERT INTO liquidations.asset (asset, sync_from, watermark)
                SELECT 'a' || lpad(n::text, 3, '0'), '2024-11-01 00:00+00', '2026-10-31 00:00+00' FROM generate_series(1, 100) AS n;
                INSERT INTO liquidations.token_interval
                    (asset, interval_start, total_trades, total_amount, long_trades, long_amount, short_trades, short_amount)
                SELECT a.asset, h, 3, 30.5, 2, 20.25, 1, 10.25
                FROM liquidations.asset AS a,
                     generate_series('2024-11-01 00:00+00'::timestamptz, '2026-10-30 23:00+00', interval '1 hour') AS h;
                INSERT INTO liquidations.token_interval_exchange
                    (asset, interval_start, exchange, total_trades, total_amount, long_trades, long_amount, short_trades, short_amount)
                SELECT asset, interval_start, 'bbit', total_trades, total_amount, long_trades, long_amount, short_trades, short_amount
                FROM liquidations.token_interval;
                SET session_replication_role = DEFAULT;
                """)
            // The rollups are built from these rows by migration 0012.
            _ = try await MigrationRunner(connection: connection, migrations: migrations, logger: Logger(label: "t")).migrate()
            try await connection.execute(script: "ANALYZE")
            let queries = [
                "SELECT * FROM liquidations.hourly WHERE asset = 'a042' AND interval_start >= '2026-09-01' AND interval_start < '2026-10-01'",
                "SELECT * FROM liquidations.daily WHERE asset = 'a042' AND day >= '2026-09-01' AND day < '2026-10-01'",
                "SELECT * FROM liquidations.hourly_by_exchange WHERE asset = 'a042' AND interval_start >= '2026-09-01' AND interval_start < '2026-10-01'",
                "SELECT * FROM liquidations.daily_by_exchange WHERE asset = 'a042' AND day >= '2026-09-01' AND day < '2026-10-01'",
                // The largest hours across every asset, ever and of a week: the index on the amount.
                "SELECT * FROM liquidations.hourly ORDER BY total_amount_usd DESC LIMIT 10",
                "SELECT * FROM liquidations.hourly WHERE interval_start >= '2026-10-20' ORDER BY total_amount_usd DESC LIMIT 10",
            ]
            var plans: [String] = []
            for sql in queries {
                let rows = try await connection.query(PostgresQuery(unsafeSQL: "EXPLAIN " + sql)).rows
                plans.append(try rows.map { try $0.decode(String.self, at: 0) }.joined(separator: "\n"))
            }
            return plans
        }
        for plan in plans {
            #expect(!plan.contains("Seq Scan on token_interval"), "\(plan)")
            #expect(!plan.contains("Seq Scan on token_day"), "\(plan)")
            #expect(plan.contains("Index"), "\(plan)")
        }
        // The daily views read the rollups (the days asked for, by their primary keys), never
        // the hours.
        for plan in [plans[1], plans[3]] {
            #expect(!plan.contains("token_interval"), "\(plan)")
        }
        #expect(plans[1].contains("token_day_pkey"), "\(plans[1])")
        #expect(plans[3].contains("token_day_exchange_pkey"), "\(plans[3])")
        for plan in plans[4...] {
            #expect(plan.contains("token_interval_largest"), "\(plan)")
        }
    }
}
