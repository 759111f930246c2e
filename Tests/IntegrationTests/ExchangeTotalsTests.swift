import Foundation
import LiquidationModel
import LiquidationStore
import Logging
import Postgres
import Testing

/// Each asset's exchanges over any range of days (`liquidations.exchange_totals`, migration 0017):
/// running totals kept by the one write path, equal to the sums of `daily_by_exchange` over any
/// range whatever order the hours came in and however they were revised, and checked by `verify`.
@Suite("Exchange totals over any days: running totals, exact under revisions and any load order")
struct ExchangeTotalsTests {
    let btc = try! AssetCode(validating: "btc")
    let eth = try! AssetCode(validating: "eth")
    let first = UTCHour(containing: 1_741_564_800)  // 2025-03-10T00:00:00Z
    static let exchanges = ["bbit", "binc", "okex", "hbdm"]

    func prepared(_ connection: PostgresConnection) async throws {
        _ = try await MigrationRunner(connection: connection, migrations: try Migration.embedded(), logger: Logger(label: "t"))
            .migrate()
        _ = try await AssetStore(connection: connection).add([btc, eth], syncFrom: first.advanced(by: -24 * 30))
    }

    /// The hours of `window` as version `version` of the data: figures vary with the hour, the
    /// exchange and the version; some hours have no liquidation; `hbdm` trades only from the
    /// sixth day on and `okex` drops out of some hours in later versions.
    func records(_ window: HourWindow, version: Int, without dropped: Set<String> = []) -> [IntervalRecord] {
        window.hours.map { hour in
            let offset = first.distance(to: hour)
            let exchanges = Self.exchanges.enumerated().compactMap { index, exchange -> ExchangeBreakdown? in
                if dropped.contains(exchange) || (exchange == "hbdm" && offset < 5 * 24) { return nil }
                if (offset + index * 7 + version) % 5 == 0 { return nil }
                if exchange == "okex" && version > 0 && offset % 3 == 0 { return nil }
                let trades = Int64((offset * 13 + index * 5 + version * 3) % 9 + 1)
                let long = "\(trades * 1234 + Int64(version)).\(offset % 10)0\(index)5"
                return ExchangeBreakdown(exchange: exchange, figures: figures(trades, trades / 2, long, "0.\(index + 1)"))
            }
            var totals = LiquidationFigures.zero
            var long = Decimal(0), short = Decimal(0)
            for breakdown in exchanges {
                totals.longTrades += breakdown.figures.longTrades
                totals.shortTrades += breakdown.figures.shortTrades
                long += Decimal(string: breakdown.figures.longAmount.text)!
                short += Decimal(string: breakdown.figures.shortAmount.text)!
            }
            return IntervalRecord(
                hour: hour, totals: figures(totals.longTrades, totals.shortTrades, long.description, short.description),
                exchanges: exchanges)
        }
    }

    func figures(_ long: Int64, _ short: Int64, _ longAmount: String, _ shortAmount: String) -> LiquidationFigures {
        let total = (Decimal(string: longAmount)! + Decimal(string: shortAmount)!).description
        return LiquidationFigures(
            totalTrades: long + short, totalAmount: DecimalAmount(total)!, longTrades: long,
            longAmount: DecimalAmount(longAmount)!, shortTrades: short, shortAmount: DecimalAmount(shortAmount)!)
    }

    /// The UTC date `offset` days after `first`.
    func day(_ offset: Int) -> String {
        String(first.advanced(by: offset * 24).description.prefix(10))
    }

    /// Days `from` to `end` (exclusive) after `first`.
    func days(_ from: Int, _ end: Int) -> HourWindow {
        HourWindow(start: first.advanced(by: from * 24), end: first.advanced(by: end * 24))
    }

    func write(_ asset: AssetCode, _ records: [IntervalRecord], window: HourWindow, _ connection: PostgresConnection) async throws {
        _ = try await ChunkWriter().write(
            ChunkWrite(
                asset: asset, window: window, records: records, kind: .sync, pages: 1, dataVersion: "v1", startedAt: Date(),
                guards: ChunkGuards(settledEnd: window.end, maxVanishingHours: 10_000, maxVanishingShare: 1)),
            on: connection)
    }

    /// For every range of days among `bounds` (day offsets from `first`, either order of
    /// loading, before, inside and after the data): the function's rows against the same sums
    /// over `daily_by_exchange`, as text, and verify's verdict.
    func expectTotalsEqualTheDailySums(_ connection: PostgresConnection, _ step: String) async throws {
        let bounds = [-3, 0, 2, 3, 5, 6, 8, 9, 11, 14]
        let rows = "asset, exchange, exchange_name, hours_covered, total_trades, total_amount_usd, long_trades, long_amount_usd, short_trades, short_amount_usd"
        for from in bounds {
            for to in bounds where to >= from - 1 {
                let (fromDay, toDay) = (day(from), day(to))
                let fromFunction = try await connection.query(PostgresQuery(unsafeSQL: """
                    SELECT coalesce(string_agg(concat_ws(' ', \(rows)), '; ' ORDER BY asset, exchange), '')
                    FROM liquidations.exchange_totals('\(fromDay)', '\(toDay)')
                    """)).scalar(String.self)
                let fromDays = try await connection.query(PostgresQuery(unsafeSQL: """
                    SELECT coalesce(string_agg(concat_ws(' ', \(rows)), '; ' ORDER BY asset, exchange), '')
                    FROM (SELECT asset, exchange, exchange_name, sum(hours_covered) AS hours_covered, sum(total_trades) AS total_trades,
                                 trim_scale(sum(total_amount_usd)) AS total_amount_usd, sum(long_trades) AS long_trades,
                                 trim_scale(sum(long_amount_usd)) AS long_amount_usd, sum(short_trades) AS short_trades,
                                 trim_scale(sum(short_amount_usd)) AS short_amount_usd
                          FROM liquidations.daily_by_exchange
                          WHERE day BETWEEN '\(fromDay)' AND '\(toDay)'
                          GROUP BY asset, exchange, exchange_name) AS s
                    """)).scalar(String.self)
                #expect(fromFunction == fromDays, "\(step): days \(from) to \(to)")
            }
        }
        for full in [true, false] {
            let report = try await DataQuality(connection: connection).verify(full: full)
            #expect(report.isClean, "\(step), full \(full): \(report.problems)")
        }
    }

    @Test func theTotalsOfAnyRangeOfDaysAreTheDailySumsWhateverTheOrderAndTheRevisions() async throws {
        let database = try await TestDatabase.create()
        try await database.withConnection { connection async throws in
            try await prepared(connection)
            // A later stretch first, then the days before it (the running totals after them
            // carry the earlier days on), then the days after.
            try await write(btc, records(days(5, 9), version: 0), window: days(5, 9), connection)
            try await write(eth, records(days(2, 6), version: 0), window: days(2, 6), connection)
            try await expectTotalsEqualTheDailySums(connection, "a stretch in the middle")
            try await write(btc, records(days(0, 5), version: 0), window: days(0, 5), connection)
            try await expectTotalsEqualTheDailySums(connection, "the days before it")
            try await write(btc, records(days(9, 12), version: 0), window: days(9, 12), connection)
            try await write(eth, records(days(6, 12), version: 0), window: days(6, 12), connection)
            try await expectTotalsEqualTheDailySums(connection, "the days after")
            // Revisions: a day deep in the past, then part of a day (okex gone from some hours).
            try await write(btc, records(days(3, 4), version: 1), window: days(3, 4), connection)
            let partOfDay = HourWindow(start: first.advanced(by: 7 * 24 + 5), end: first.advanced(by: 7 * 24 + 17))
            try await write(btc, records(partOfDay, version: 2), window: partOfDay, connection)
            try await expectTotalsEqualTheDailySums(connection, "revised days")
            // An exchange gone from every day it had: its totals stop adding anything.
            try await write(btc, records(days(5, 12), version: 3, without: ["hbdm"]), window: days(5, 12), connection)
            try await write(eth, records(days(2, 12), version: 3, without: ["hbdm", "okex"]), window: days(2, 12), connection)
            try await expectTotalsEqualTheDailySums(connection, "an exchange gone")
            let hbdm = try await connection.query(
                "SELECT count(*) FROM liquidations.exchange_totals('2025-01-01', '2026-01-01') WHERE exchange = 'hbdm'"
            ).scalar(Int64.self)
            #expect(hbdm == 0)
            // Removing an asset takes its running totals with it.
            _ = try await AssetStore(connection: connection).remove(eth, purge: true)
            #expect(try await connection.query(
                "SELECT count(*) FROM liquidations.token_day_exchange_running WHERE asset = 'eth'").scalar(Int64.self) == 0)
            try await expectTotalsEqualTheDailySums(connection, "an asset removed")
        }
    }

    /// A running total that does not follow from the day before and the day's rows is what
    /// `verify` reports, on that day and the next (which builds on it).
    @Test func verifyFindsARunningTotalThatDoesNotFollowFromTheDays() async throws {
        let database = try await TestDatabase.create()
        try await database.withConnection { connection async throws in
            try await prepared(connection)
            try await write(btc, records(days(0, 4), version: 0), window: days(0, 4), connection)
            try await connection.execute(script: """
                UPDATE liquidations.token_day_exchange_running SET long_amount = long_amount + 0.000000001
                WHERE asset = 'btc' AND exchange = 'binc' AND day = '2025-03-11'
                """)
            let report = try await DataQuality(connection: connection).verify(full: true)
            let found = report.problems.filter { $0.kind == .rollupMismatch }.map { problem in
                "\(problem.asset) \((Int64(problem.start.timeIntervalSince1970) - first.secondsSinceEpoch) / 86_400) \(problem.detail)"
            }
            #expect(found == [
                "btc 1 running totals of binc: differ from the day before plus the day's rows",
                "btc 2 running totals of binc: differ from the day before plus the day's rows",
            ], "\(report.problems)")
        }
    }
}
