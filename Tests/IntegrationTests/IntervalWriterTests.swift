import Foundation
import LiquidationModel
import LiquidationStore
import Logging
import Postgres
import Testing

/// The one write path: what a chunk changes, and that re-reading unchanged hours rewrites no
/// tuple (checked by each row's `xmin`, the transaction that last wrote it).
@Suite("IntervalWriter: fingerprints, revisions, no rewrites")
struct IntervalWriterTests {
    let btc = try! AssetCode(validating: "btc")
    let first = UTCHour(containing: 1_741_564_800)  // 2025-03-10T00:00:00Z
    var window: HourWindow { HourWindow(start: first, end: first.advanced(by: 6)) }

    func figures(_ long: Int64, _ short: Int64, _ longAmount: String, _ shortAmount: String) -> LiquidationFigures {
        let total = (Decimal(string: longAmount)! + Decimal(string: shortAmount)!).description
        return LiquidationFigures(
            totalTrades: long + short, totalAmount: DecimalAmount(total)!, longTrades: long,
            longAmount: DecimalAmount(longAmount)!, shortTrades: short, shortAmount: DecimalAmount(shortAmount)!)
    }

    func record(_ offset: Int, _ exchanges: [(String, LiquidationFigures)]) -> IntervalRecord {
        var totals = LiquidationFigures.zero
        var long = Decimal(0), short = Decimal(0)
        for (_, f) in exchanges {
            totals.longTrades += f.longTrades
            totals.shortTrades += f.shortTrades
            long += Decimal(string: f.longAmount.text)!
            short += Decimal(string: f.shortAmount.text)!
        }
        totals = figures(totals.longTrades, totals.shortTrades, long.description, short.description)
        return IntervalRecord(
            hour: first.advanced(by: offset), totals: totals,
            exchanges: exchanges.map { ExchangeBreakdown(exchange: $0.0, figures: $0.1) })
    }

    func write(_ records: [IntervalRecord], _ connection: PostgresConnection) async throws -> ChunkWriteResult {
        try await IntervalWriter().write(
            ChunkWrite(asset: btc, window: window, records: records, kind: .sync, pages: 1, dataVersion: "v1", startedAt: Date()),
            on: connection)
    }

    func versions(_ connection: PostgresConnection) async throws -> [String] {
        try await connection.query(
            """
            SELECT 'h' || interval_start || xmin::text || updated_at FROM liquidations.token_interval WHERE asset = 'btc'
            UNION ALL
            SELECT 'e' || interval_start || exchange || xmin::text || updated_at FROM liquidations.token_interval_exchange
            WHERE asset = 'btc'
            ORDER BY 1
            """
        ).rows.map { try $0.decode(String.self) }
    }

    @Test func unchangedHoursAreSkippedAndRevisionsApplied() async throws {
        let database = try await TestDatabase.create()
        try await database.withConnection { connection async throws in
            _ = try await MigrationRunner(connection: connection, migrations: try Migration.embedded(), logger: Logger(label: "t"))
                .migrate()
            _ = try await AssetStore(connection: connection).add([btc], syncFrom: first)
            let records = [
                record(0, [("bbit", figures(2, 1, "100.5", "20")), ("okex", figures(0, 3, "0", "7.25"))]),
                record(1, [("binc", figures(1, 0, "3", "0"))]),
                record(3, [("bbit", figures(4, 4, "1", "2")), ("hypr", figures(1, 1, "5", "6"))]),
            ]
            let loaded = try await write(records, connection)
            #expect(loaded.hoursInserted == 6 && loaded.exchangeRowsInserted == 5 && loaded.rowsUnchanged == 0)
            #expect(loaded.watermark == first.advanced(by: 6))
            let afterLoad = try await versions(connection)

            // The same hours again: nothing merged, nothing rewritten.
            let again = try await write(records, connection)
            #expect(again.rowsWritten == 0 && again.hoursUnchanged == 6 && again.exchangeRowsUnchanged == 5)
            #expect(try await versions(connection) == afterLoad)

            // Rows from before fingerprints: merged once, found equal, given a fingerprint, and
            // their updated_at is left alone.
            try await connection.query("UPDATE liquidations.token_interval SET content_hash = NULL")
            let legacy = try await write(records, connection)
            #expect(legacy.rowsWritten == 0 && legacy.hoursUnchanged == 6 && legacy.exchangeRowsUnchanged == 5)
            let missing = try await connection.query(
                "SELECT count(*) FROM liquidations.token_interval WHERE content_hash IS NULL").scalar(Int64.self)
            #expect(missing == 0)
            let afterLegacy = try await versions(connection)
            #expect(try await write(records, connection).rowsWritten == 0)
            #expect(try await versions(connection) == afterLegacy)

            // The same numbers written differently: a merge that changes nothing.
            var respelled = records
            respelled[0].exchanges[0].figures.longAmount = DecimalAmount("100.50")!
            let spelling = try await write(respelled, connection)
            #expect(spelling.rowsWritten == 0)

            // A revision: hour 1 grows, hour 3 loses an exchange, hour 5 appears.
            var revised = records
            revised[1] = record(1, [("binc", figures(2, 0, "4", "0"))])
            revised[2] = record(3, [("bbit", figures(4, 4, "1", "2"))])
            revised.append(record(5, [("krkn", figures(0, 1, "0", "9"))]))
            let revision = try await write(revised, connection)
            #expect(revision.hoursUpdated == 3 && revision.hoursInserted == 0 && revision.hoursUnchanged == 3)
            #expect(revision.exchangeRowsUpdated == 1 && revision.exchangeRowsDeleted == 1 && revision.exchangeRowsInserted == 1)
            #expect(revision.exchangeRowsUnchanged == 3)
            let stored = try await connection.query(
                """
                SELECT interval_start::text || ' ' || coalesce(string_agg(exchange || '=' || total_amount_usd, ',' ORDER BY exchange), '')
                FROM liquidations.hourly_by_exchange WHERE asset = 'btc' GROUP BY interval_start ORDER BY interval_start
                """
            ).rows.map { try $0.decode(String.self) }
            #expect(stored == [
                "2025-03-10 00:00:00+00 bbit=120.5,okex=7.25", "2025-03-10 01:00:00+00 binc=4",
                "2025-03-10 03:00:00+00 bbit=3", "2025-03-10 05:00:00+00 krkn=9",
            ])
        }
    }
}
