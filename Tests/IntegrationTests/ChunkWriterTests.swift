import Foundation
import LiquidationModel
import LiquidationStore
import Logging
import Postgres
import Testing

/// The one write path: what a chunk changes, and that re-reading unchanged hours rewrites no
/// tuple (checked by each row's `xmin`, the transaction that last wrote it).
@Suite("ChunkWriter: fingerprints, revisions, no rewrites")
struct ChunkWriterTests {
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

    func write(
        _ records: [IntervalRecord], window: HourWindow, maxVanishingHours: Int = ChunkGuards.defaultMaxVanishingHours,
        maxVanishingShare: Double = ChunkGuards.defaultMaxVanishingShare, settledEnd: UTCHour? = nil, readAt: Date = Date(),
        _ connection: PostgresConnection
    ) async throws -> ChunkWriteResult {
        try await ChunkWriter().write(
            ChunkWrite(
                asset: btc, window: window, records: records, kind: .sync, pages: 1, dataVersion: "v1", startedAt: readAt,
                guards: ChunkGuards(
                    settledEnd: settledEnd ?? window.end, maxVanishingHours: maxVanishingHours,
                    maxVanishingShare: maxVanishingShare)),
            on: connection)
    }

    /// The asset's open hours (emptied, not confirmed yet), as offsets from `first`.
    func openHours(_ connection: PostgresConnection) async throws -> [Int] {
        try await AssetStore(connection: connection).openHours(of: btc).map { first.distance(to: $0.hour) }
    }

    /// A database at the current schema with btc tracked from `first`.
    func prepared(_ connection: PostgresConnection) async throws {
        _ = try await MigrationRunner(connection: connection, migrations: try Migration.embedded(), logger: Logger(label: "t"))
            .migrate()
        _ = try await AssetStore(connection: connection).add([btc], syncFrom: first)
    }

    /// Every hour of `window` with a liquidation on one exchange.
    func busyHours(_ window: HourWindow) -> [IntervalRecord] {
        window.hours.map { hour in
            var record = record(0, [("bbit", figures(1, 2, "10.5", "20"))])
            record.hour = hour
            return record
        }
    }

    func write(_ records: [IntervalRecord], _ connection: PostgresConnection) async throws -> ChunkWriteResult {
        try await ChunkWriter().write(
            ChunkWrite(
                asset: btc, window: window, records: records, kind: .sync, pages: 1, dataVersion: "v1", startedAt: Date(),
                guards: ChunkGuards(settledEnd: window.end)),
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
            #expect(loaded.hoursInserted == 6 && loaded.exchangeRowsInserted == 5 && loaded.rows.unchanged == 0)
            #expect(loaded.watermark == first.advanced(by: 6))
            let afterLoad = try await versions(connection)

            // The same hours again: nothing merged, nothing rewritten.
            let again = try await write(records, connection)
            #expect(again.rows.written == 0 && again.hoursUnchanged == 6 && again.exchangeRowsUnchanged == 5)
            #expect(try await versions(connection) == afterLoad)

            // Rows from before fingerprints: merged once, found equal, given a fingerprint, and
            // their updated_at is left alone.
            try await connection.query("UPDATE liquidations.token_interval SET content_hash = NULL")
            let legacy = try await write(records, connection)
            #expect(legacy.rows.written == 0 && legacy.hoursUnchanged == 6 && legacy.exchangeRowsUnchanged == 5)
            let missing = try await connection.query(
                "SELECT count(*) FROM liquidations.token_interval WHERE content_hash IS NULL").scalar(Int64.self)
            #expect(missing == 0)
            let afterLegacy = try await versions(connection)
            #expect(try await write(records, connection).rows.written == 0)
            #expect(try await versions(connection) == afterLegacy)

            // The same numbers written differently: a merge that changes nothing.
            var respelled = records
            respelled[0].exchanges[0].figures.longAmount = DecimalAmount("100.50")!
            let spelling = try await write(respelled, connection)
            #expect(spelling.rows.written == 0)

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

    /// A window with nothing stored is copied straight into the tables; it stores exactly what
    /// the merge stores for the same answer (here: eth, with one hour of the window already
    /// stored, so it merges), and registers an exchange code never seen before.
    @Test func aFreshWindowIsCopiedStraightInAndStoresWhatAMergeStores() async throws {
        let database = try await TestDatabase.create()
        let eth = try AssetCode(validating: "eth")
        try await database.withConnection { connection async throws in
            try await prepared(connection)
            _ = try await AssetStore(connection: connection).add([eth], syncFrom: first)
            let records = [
                record(0, [("bbit", figures(2, 1, "100.5", "20")), ("zzzq", figures(0, 3, "0", "7.25"))]),
                record(2, [("binc", figures(1, 0, "3", "0"))]),
                record(5, [("bbit", figures(4, 4, "1", "2.000"))]),
            ]
            func chunk(_ asset: AssetCode, _ records: [IntervalRecord], _ window: HourWindow) -> ChunkWrite {
                ChunkWrite(
                    asset: asset, window: window, records: records, kind: .backfill, pages: 1, dataVersion: "v7",
                    startedAt: Date(), guards: ChunkGuards(settledEnd: self.window.end))
            }
            let fresh = try await ChunkWriter().write(chunk(btc, records, window), on: connection)
            #expect(fresh.hoursInserted == 6 && fresh.exchangeRowsInserted == 4 && fresh.rows.unchanged == 0)
            #expect(fresh.watermark == window.end)
            let staging = "SELECT to_regclass('pg_temp.liqsync_stage_interval') IS NOT NULL"
            #expect(try await connection.query(PostgresQuery(unsafeSQL: staging)).scalar(Bool.self) == false, "nothing staged")

            // eth: hour 1 stored first (an empty hour), then the same answer merges.
            _ = try await ChunkWriter().write(
                chunk(eth, [], HourWindow(start: first.advanced(by: 1), end: first.advanced(by: 2))), on: connection)
            let merged = try await ChunkWriter().write(chunk(eth, records, window), on: connection)
            #expect(merged.hoursInserted == 5 && merged.hoursUnchanged == 1 && merged.exchangeRowsInserted == 4)
            #expect(try await connection.query(PostgresQuery(unsafeSQL: staging)).scalar(Bool.self) == true, "staged and merged")

            let stored = { (asset: String) async throws -> [String] in
                try await connection.query(
                    """
                    SELECT 'h ' || interval_start || ' ' || concat_ws(' ', total_trades, total_amount, long_trades, long_amount,
                           short_trades, short_amount, content_hash, data_version) FROM liquidations.token_interval
                    WHERE asset = \(asset)
                    UNION ALL
                    SELECT 'e ' || interval_start || ' ' || concat_ws(' ', exchange, total_trades, total_amount, long_trades,
                           long_amount, short_trades, short_amount) FROM liquidations.token_interval_exchange WHERE asset = \(asset)
                    ORDER BY 1
                    """
                ).rows.map { try $0.decode(String.self) }
            }
            let btcRows = try await stored("btc")
            let ethRows = try await stored("eth")
            #expect(btcRows.count == 10 && btcRows == ethRows, "\(btcRows)\n\(ethRows)")
            let registered = try await connection.query(
                "SELECT count(*) FROM liquidations.exchange WHERE exchange = 'zzzq'").scalar(Int64.self)
            #expect(registered == 1)
            let verify = try await DataQuality(connection: connection).run(assets: nil, from: nil, to: nil)
            #expect(verify.isClean, "\(verify.problems)")
        }
    }

    @Test func aFreshWindowOverSeveralDaysHasTheRollupsAMergeWouldWriteExactly() async throws {
        let database = try await TestDatabase.create()
        let eth = try AssetCode(validating: "eth")
        let sol = try AssetCode(validating: "sol")
        // 20:00 on the 10th to 03:00 on the 13th: a partial day, two whole days, a partial day.
        let start = first.advanced(by: 20)
        let span = HourWindow(start: start, end: start.advanced(by: 55))
        func hour(_ offset: Int, _ exchanges: [(String, LiquidationFigures)]) -> IntervalRecord {
            var record = record(0, exchanges)
            record.hour = start.advanced(by: offset)
            return record
        }
        // Literals PostgreSQL reads with scales of their own: exponents, trailing and leading zeros.
        var records = [
            hour(1, [("bbit", figures(2, 1, "100.5", "20")), ("zzzq", figures(0, 3, "0", "7.25"))]),
            hour(5, [("bbit", figures(1, 0, "1e-5", "0")), ("binc", figures(1, 1, "2.5E+2", "0.000"))]),
            hour(6, [("bbit", figures(4, 4, "007.50", "123456789012345678.123456789"))]),
            hour(30, [("binc", figures(3, 0, "0.1", "0"))]),
            hour(31, [("binc", figures(0, 2, "0", "0.2000"))]),
            hour(47, [("binc", figures(2, 0, "0.05", "0"))]),
            hour(52, [("bbit", figures(1, 1, "5", "5"))]),
        ]
        // Sums beyond 38 digits: numeric has no limit that matters here.
        let huge = DecimalAmount("123456789012345678901234567890.1234567890")!
        records.append(
            IntervalRecord(
                hour: start.advanced(by: 40),
                totals: LiquidationFigures(
                    totalTrades: 1, totalAmount: huge, longTrades: 1, longAmount: huge, shortTrades: 0, shortAmount: .zero),
                exchanges: [
                    ExchangeBreakdown(
                        exchange: "okex",
                        figures: LiquidationFigures(
                            totalTrades: 1, totalAmount: huge, longTrades: 1, longAmount: huge, shortTrades: 0,
                            shortAmount: .zero))
                ]))
        try await database.withConnection { connection async throws in
            try await prepared(connection)
            _ = try await AssetStore(connection: connection).add([eth, sol], syncFrom: first)
            func chunk(_ asset: AssetCode, _ records: [IntervalRecord], _ window: HourWindow) -> ChunkWrite {
                ChunkWrite(
                    asset: asset, window: window, records: records, kind: .backfill, pages: 1, dataVersion: "v7",
                    startedAt: Date(), guards: ChunkGuards(settledEnd: span.end))
            }
            // btc: the whole span at once, nothing stored before (copied straight in); eth: one hour
            // stored first, so the same answer is staged and merged.
            _ = try await ChunkWriter().write(chunk(btc, records, span), on: connection)
            _ = try await ChunkWriter().write(
                chunk(eth, [], HourWindow(start: start.advanced(by: 10), end: start.advanced(by: 11))), on: connection)
            _ = try await ChunkWriter().write(chunk(eth, records, span), on: connection)
            // sol: three fresh windows, each summed by liqsync where it can: [0, 30) inserts the
            // 11th whole and starts the 10th and the 12th; [30, 45) holds the 40-digit amount, so
            // PostgreSQL sums its days again; [45, 55) adds to the 12th (binc included) and starts
            // the 13th.
            for (from, to) in [(0, 30), (30, 45), (45, 55)] {
                let window = HourWindow(start: start.advanced(by: from), end: start.advanced(by: to))
                _ = try await ChunkWriter().write(
                    chunk(sol, records.filter { window.contains($0.hour) }, window), on: connection)
            }

            let rollups = { (asset: String) async throws -> [String] in
                try await connection.query(
                    """
                    SELECT concat_ws(' ', day, hours_covered, total_trades, total_amount, long_trades, long_amount,
                                     short_trades, short_amount, max_hour_amount, open_hours)
                    FROM liquidations.token_day WHERE asset = \(asset)
                    UNION ALL
                    SELECT concat_ws(' ', day, exchange, hours_covered, total_trades, total_amount, long_trades, long_amount,
                                     short_trades, short_amount)
                    FROM liquidations.token_day_exchange WHERE asset = \(asset)
                    ORDER BY 1
                    """
                ).rows.map { try $0.decode(String.self) }
            }
            let fresh = try await rollups("btc")
            let fromMerge = try await rollups("eth")
            // Four days, and their exchanges: bbit and zzzq on the 10th (hour 1 is 21:00), bbit
            // and binc on the 11th, binc and okex on the 12th, bbit on the 13th.
            #expect(fresh.count == 4 + 7, "\(fresh)")
            #expect(fresh == fromMerge, "\(fresh)\n\(fromMerge)")
            let freshInThreeWindows = try await rollups("sol")
            #expect(freshInThreeWindows == fresh, "\(freshInThreeWindows)\n\(fresh)")
            #expect(
                fresh.contains("2025-03-11 bbit 2 9 123456789012345685.623466789 5 7.50001 4 123456789012345678.123456789"),
                "\(fresh)")

            // updated_at is the latest of the day's hours, as the views have always said.
            let stale = try await connection.query(
                """
                SELECT count(*) FROM liquidations.token_day AS d
                WHERE d.updated_at IS DISTINCT FROM (
                    SELECT max(updated_at) FROM liquidations.token_interval AS t
                    WHERE t.asset = d.asset AND (t.interval_start AT TIME ZONE 'UTC')::date = d.day)
                """
            ).scalar(Int64.self)
            #expect(stale == 0)
            let verify = try await DataQuality(connection: connection).run(assets: nil, from: nil, to: nil)
            #expect(verify.isClean, "\(verify.problems)")
        }
    }

    @Test func anAnswerThatWouldEmptyManyStoredHoursIsRefusedAndChangesNothing() async throws {
        let database = try await TestDatabase.create()
        try await database.withConnection { connection async throws in
            try await prepared(connection)
            let twoDays = HourWindow(start: first, end: first.advanced(by: 48))
            _ = try await write(busyHours(twoDays), window: twoDays, connection)
            let before = try await versions(connection)

            // A well-formed page with no record (a gateway that lost its backend): refused whole.
            let refused = try await #require(throws: StoreError.self) { try await write([], window: twoDays, connection) }
            guard case .vanishingHours(let asset, let window, let count, let stored, let from, let to, let allowed) = refused else {
                Issue.record("expected vanishingHours, got \(refused)")
                return
            }
            #expect(asset == btc && window == twoDays && count == 48 && stored == 48 && allowed == 24)
            #expect(from == first && to == first.advanced(by: 47))
            #expect(refused.description.contains("--max-vanishing-share 1 --max-vanishing-hours 48"), "\(refused)")
            #expect(try await versions(connection) == before, "nothing was changed")
            let watermark = try await connection.query("SELECT watermark FROM liquidations.asset").scalar(UTCHour.self)
            #expect(watermark == twoDays.end)

            // Within the cap, a share decides: a day whose 23 of 24 active hours vanish is an
            // outage, refused whatever --max-vanishing-hours allows.
            var quietHour = busyHours(twoDays)
            quietHour[24].totals = .zero
            quietHour[24].exchanges = [ExchangeBreakdown(exchange: "bbit", figures: .zero)]
            _ = try await write(quietHour, window: twoDays, connection)
            let lastDay = HourWindow(start: first.advanced(by: 24), end: twoDays.end)
            let outage = try await #require(throws: StoreError.self) {
                try await write([], window: lastDay, maxVanishingHours: 1000, connection)
            }
            guard case .vanishingHours(_, _, 23, 23, _, _, 13) = outage else {
                Issue.record("expected 23 of 23 vanishing, 13 allowed; got \(outage)")
                return
            }

            // A revision that drops a few hours (and an exchange) passes, and the hours it emptied
            // stay open; an hour listing only zero-figure exchanges counts as empty too.
            var revised = busyHours(twoDays)
            revised.removeAll { [3, 17, 30].contains(first.distance(to: $0.hour)) }
            revised[0].totals = .zero
            revised[0].exchanges = [ExchangeBreakdown(exchange: "bbit", figures: .zero)]
            let revision = try await write(revised, window: twoDays, connection)
            #expect(revision.hoursUpdated == 5 && revision.hoursEmptied == 4, "\(revision)")
            #expect(try await openHours(connection) == [0, 3, 17, 30])

            // Asked for explicitly, the emptiness is written.
            let allowedAll = try await write([], window: twoDays, maxVanishingHours: 48, maxVanishingShare: 1, connection)
            #expect(allowedAll.hoursUpdated == 44 && allowedAll.hoursEmptied == 44)
            let remaining = try await connection.query(
                "SELECT count(*) FROM liquidations.token_interval WHERE total_trades > 0").scalar(Int64.self)
            #expect(remaining == 0)
        }
    }

    /// An hour a read emptied is open (not final) until a read a day later finds it empty again,
    /// or until a read brings its liquidations back (an outage upstream is over).
    @Test func anEmptiedHourStaysOpenUntilConfirmedADayLaterOrRestored() async throws {
        let database = try await TestDatabase.create()
        try await database.withConnection { connection async throws in
            try await prepared(connection)
            let day = HourWindow(start: first, end: first.advanced(by: 24))
            let readAt = Date(timeIntervalSince1970: Double(day.end.secondsSinceEpoch + 3600))
            let busy = busyHours(day)
            _ = try await write(busy, window: day, readAt: readAt, connection)
            let withoutTwo = busy.filter { ![5, 6].contains(first.distance(to: $0.hour)) }
            let emptied = try await write(withoutTwo, window: day, readAt: readAt, connection)
            #expect(emptied.hoursEmptied == 2)
            #expect(try await openHours(connection) == [5, 6])
            func isFinal(_ offset: Int) async throws -> Bool {
                try await connection.query(
                    "SELECT is_final FROM liquidations.hourly WHERE asset = 'btc' AND interval_start = \(first.advanced(by: offset))"
                ).scalar(Bool.self)
            }
            // With the lookback at 24 h every hour of the day is inside the re-read horizon; at 0,
            // only an open hour is not final.
            try await connection.query("UPDATE liquidations.asset SET lookback_hours = 0")
            #expect(try await isFinal(4))
            #expect(try await !isFinal(5), "an open hour is not final")
            let openDays = try await connection.query(
                "SELECT count(*) FILTER (WHERE NOT is_final) FROM liquidations.daily WHERE asset = 'btc'").scalar(Int64.self)
            #expect(openDays == 1, "nor is its day")

            // Read empty again an hour later: still open. Hour 5 comes back: restored.
            let later = readAt.addingTimeInterval(3600)
            let restored = try await write(withoutTwo + [busy[5]], window: day, readAt: later, connection)
            #expect(restored.openHoursRestored == 1 && restored.openHoursConfirmed == 0)
            #expect(try await openHours(connection) == [6])
            // A day after it emptied, hour 6 read empty again: confirmed, and final.
            let confirmed = try await write(
                withoutTwo + [busy[5]], window: day, readAt: readAt.addingTimeInterval(86_400), connection)
            #expect(confirmed.openHoursConfirmed == 1)
            #expect(try await openHours(connection).isEmpty)
            #expect(try await isFinal(6))
            let status = try await connection.query("SELECT open_hours FROM liquidations.sync_status").scalar(Int64.self)
            #expect(status == 0)
        }
    }

    @Test func anAssetsFirstLoadWithNoRecordAtAllIsRefused() async throws {
        let database = try await TestDatabase.create()
        try await database.withConnection { connection async throws in
            try await prepared(connection)
            let twoDays = HourWindow(start: first, end: first.advanced(by: 48))
            let error = try await #require(throws: StoreError.self) { try await write([], window: twoDays, connection) }
            guard case .emptyFirstLoad(let asset, _, let hours, _) = error else {
                Issue.record("expected emptyFirstLoad, got \(error)")
                return
            }
            #expect(asset == btc && hours == 48)
            #expect(error.description.contains("unknown asset code"))
            #expect(try await connection.query("SELECT count(*) FROM liquidations.token_interval").scalar(Int64.self) == 0)

            // A day's worth is not "long"; and hours before Kaiko's dataset began do not count.
            let oneDay = HourWindow(start: first, end: first.advanced(by: 24))
            #expect(try await write([], window: oneDay, connection).hoursInserted == 24)
            let beforeDataset = HourWindow(start: KaikoDataset.firstHour.advanced(by: -500), end: KaikoDataset.firstHour.advanced(by: 10))
            _ = try await AssetStore(connection: connection).add([try AssetCode(validating: "eth")], syncFrom: beforeDataset.start)
            let early = try await ChunkWriter().write(
                ChunkWrite(
                    asset: try AssetCode(validating: "eth"), window: beforeDataset, records: [], kind: .backfill, pages: 1,
                    dataVersion: nil, startedAt: Date(), guards: ChunkGuards(settledEnd: beforeDataset.end)),
                on: connection) { _ in }
            #expect(early.hoursInserted == 510)

            // Once something is stored, an empty answer is only subject to the vanishing guard.
            let next = HourWindow(start: oneDay.end, end: oneDay.end.advanced(by: 48))
            #expect(try await write([], window: next, connection).hoursInserted == 48)
        }
    }

    @Test func aWindowPastTheSettledHoursIsNeverWritten() async throws {
        let database = try await TestDatabase.create()
        try await database.withConnection { connection async throws in
            try await prepared(connection)
            let error = try await #require(throws: StoreError.self) {
                try await write(busyHours(window), window: window, settledEnd: first.advanced(by: 5), connection)
            }
            guard case .unsettledWindow(_, _, let settledEnd) = error else {
                Issue.record("expected unsettledWindow, got \(error)")
                return
            }
            #expect(settledEnd == first.advanced(by: 5))
            #expect(try await connection.query("SELECT count(*) FROM liquidations.token_interval").scalar(Int64.self) == 0)

            // The database backs the writer up: whatever a client asks, no watermark in the future.
            let future = try await #require(throws: PostgresError.self) {
                try await connection.query(
                    "UPDATE liquidations.asset SET watermark = date_trunc('hour', now()) + interval '2 hours'")
            }
            #expect(future.sqlState == PostgresError.SQLState.checkViolation)
            #expect(future.message.contains("is in the future"))
            try await connection.query("UPDATE liquidations.asset SET watermark = date_trunc('hour', now())")
        }
    }
}
