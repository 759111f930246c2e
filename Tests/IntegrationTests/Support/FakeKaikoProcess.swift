import AsyncHTTPClient
import Foundation
import Postgres
import Testing
import TestSupport

/// The `fake-kaiko` binary, started on a free port, and what tests ask of it.
struct FakeKaikoProcess: Sendable {
    let process: BackgroundProcess
    let baseURL: String

    static let apiKey = "integration-key-5f3a9c"

    static func start(_ arguments: [String]) async throws -> FakeKaikoProcess {
        let binary = LiqsyncBinary.url.deletingLastPathComponent().appendingPathComponent("fake-kaiko")
        let process = try BackgroundProcess(binary, ["--port", "0", "--api-key", apiKey] + arguments)
        guard let output = await process.waitForOutput(containing: "listening on http://"),
              let line = output.split(separator: "\n").first(where: { $0.contains("listening on") }),
              let url = line.split(separator: " ").last
        else {
            throw ProcessTimeout(command: "fake-kaiko did not start: \(process.text)")
        }
        return FakeKaikoProcess(process: process, baseURL: String(url))
    }

    func stop() { process.signal(SIGKILL) }

    /// Arguments that point `liqsync` at this stand-in.
    var liqsyncArguments: [String] { ["--base-url", baseURL] }
    var liqsyncEnvironment: [String: String] { ["KAIKO_API_KEY": Self.apiKey] }

    func advanceClock(hours: Int) async throws {
        var request = HTTPClientRequest(url: "\(baseURL)/_fake/clock?advance_hours=\(hours)")
        request.method = .POST
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        #expect(response.status.code == 200)
    }

    /// Makes the stand-in answer every data request with `fault` (a name as `fake-kaiko --help`
    /// lists them), or behave again (`none`).
    func setPersistentFault(_ fault: String) async throws {
        var request = HTTPClientRequest(url: "\(baseURL)/_fake/faults?persistent=\(fault)")
        request.method = .POST
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        #expect(response.status.code == 200, "fault \(fault)")
    }

    /// Makes the stand-in answer every data request for `asset` with `fault`, or behave again
    /// for it (`none`).
    func setPersistentFault(_ fault: String, asset: String) async throws {
        var request = HTTPClientRequest(url: "\(baseURL)/_fake/faults?persistent=\(fault)&asset=\(asset)")
        request.method = .POST
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        #expect(response.status.code == 200, "fault \(fault) for \(asset)")
    }

    /// The data requests answered so far: how many by HTTP status (0: cut off), and when each
    /// arrived (seconds since the epoch, in order).
    func stats() async throws -> (byStatus: [Int: Int], arrivals: [Double]) {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: "\(baseURL)/_fake/stats"), timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 64 << 20)
        let stats = try JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any] ?? [:]
        let byStatus = (stats["by_status"] as? [String: Int] ?? [:]).reduce(into: [Int: Int]()) { counts, entry in
            if let status = Int(entry.key) { counts[status] = entry.value }
        }
        let arrivals = (stats["arrivals"] as? [Any] ?? []).compactMap { ($0 as? NSNumber)?.doubleValue }
        return (byStatus, arrivals.sorted())
    }

    /// How many API requests the stand-in has answered so far.
    func requestCount() async throws -> Int {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: "\(baseURL)/_fake/stats"), timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 1 << 20)
        let stats = try JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any]
        return try #require(stats?["requests"] as? Int)
    }

    /// The final figures of `[start, end)`, amounts as exact decimals.
    func truth(asset: String, start: String, end: String) async throws -> [String: TruthRecord] {
        let request = HTTPClientRequest(url: "\(baseURL)/_fake/truth/\(asset)?start_time=\(start)&end_time=\(end)")
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 256 * 1024 * 1024)
        let data = Data(body.readableBytesView)
        let hours: [TruthRecord]
        do {
            hours = try TruthRecord.decode(data)
        } catch {
            Issue.record("truth of \(asset) [\(start), \(end)): HTTP \(response.status.code) \(String(decoding: data.prefix(500), as: UTF8.self))")
            throw error
        }
        return Dictionary(uniqueKeysWithValues: hours.map { ($0.interval_time, $0) })
    }
}

/// Compares the BI views of `asset` over `[start, watermark)` with the truth: every hour a row
/// (zeros where the truth has none), the same numbers exactly, the same exchanges and no others.
func expectViewsEqualTruth(
    database: TestDatabase, fake: FakeKaikoProcess, asset: String, sourceLocation: SourceLocation = #_sourceLocation
) async throws {
    let mismatches = try await viewMismatches(database: database, fake: fake, asset: asset)
    #expect(mismatches.isEmpty, "\(asset): \(mismatches.prefix(5))", sourceLocation: sourceLocation)
}

/// The differences between the views and the truth (empty when equal); with `onlyFinal`, of the
/// hours the views call final.
func viewMismatches(database: TestDatabase, fake: FakeKaikoProcess, asset: String, onlyFinal: Bool = false) async throws
    -> [String]
{
    let (syncFrom, watermark) = try await database.withConnection { connection async throws in
        try await connection.query(
            "SELECT sync_from::text, watermark::text FROM liquidations.asset WHERE asset = \(asset)"
        ).rows[0].decode(String.self, String.self)
    }
    func iso(_ text: String) -> String { String(text.prefix(10)) + "T" + String(text.dropFirst(11).prefix(8)) + "Z" }
    let truth = try await fake.truth(asset: asset, start: iso(syncFrom), end: iso(watermark))
    let hourly = try await database.withConnection { connection async throws in
        try await connection.query(
            """
            SELECT to_char(interval_start, 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), total_trades, total_amount_usd::text,
                   long_trades, long_amount_usd::text, short_trades, short_amount_usd::text
            FROM liquidations.hourly WHERE asset = \(asset) AND (is_final OR NOT \(onlyFinal)) ORDER BY interval_start
            """
        ).rows.map { try $0.decode(String.self, Int64.self, String.self, Int64.self, String.self, Int64.self, String.self) }
    }
    let exchanges = try await database.withConnection { connection async throws in
        try await connection.query(
            """
            SELECT to_char(interval_start, 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), exchange, total_trades, total_amount_usd::text,
                   long_trades, long_amount_usd::text, short_trades, short_amount_usd::text
            FROM liquidations.hourly_by_exchange WHERE asset = \(asset) AND (is_final OR NOT \(onlyFinal))
            ORDER BY interval_start, exchange
            """
        ).rows.map { try $0.decode(String.self, String.self, Int64.self, String.self, Int64.self, String.self, Int64.self, String.self) }
    }
    let expectedHours = try await database.withConnection { connection async throws in
        try await connection.query(
            "SELECT (extract(epoch FROM watermark - sync_from) / 3600)::bigint FROM liquidations.asset WHERE asset = \(asset)"
        ).scalar(Int64.self)
    }
    var mismatches: [String] = []
    if !onlyFinal && Int64(hourly.count) != expectedHours {
        mismatches.append("\(hourly.count) hourly rows, expected \(expectedHours)")
    }
    let comparedHours = Set(hourly.map(\.0))
    func decimal(_ text: String) -> Decimal { Decimal(string: text, locale: Locale(identifier: "en_US_POSIX"))! }
    for (hour, totalTrades, totalAmount, longTrades, longAmount, shortTrades, shortAmount) in hourly {
        let figures = TruthRecord.Figures(
            total_trades: totalTrades, total_amount: decimal(totalAmount), long_trades: longTrades,
            long_amount: decimal(longAmount), short_trades: shortTrades, short_amount: decimal(shortAmount))
        let expected = truth[hour]?.figures ?? .zero
        if figures != expected { mismatches.append("\(hour): \(figures) != \(expected)") }
    }
    var stored: [String: [String: TruthRecord.Figures]] = [:]
    for (hour, exchange, totalTrades, totalAmount, longTrades, longAmount, shortTrades, shortAmount) in exchanges {
        stored[hour, default: [:]][exchange] = TruthRecord.Figures(
            total_trades: totalTrades, total_amount: decimal(totalAmount), long_trades: longTrades,
            long_amount: decimal(longAmount), short_trades: shortTrades, short_amount: decimal(shortAmount))
    }
    for (hour, expected) in truth where comparedHours.contains(hour) {
        let expectedExchanges = Dictionary(uniqueKeysWithValues: expected.exchanges.map { ($0.exchange, $0.figures) })
        if stored[hour] ?? [:] != expectedExchanges { mismatches.append("\(hour): exchanges differ") }
    }
    for hour in stored.keys where truth[hour] == nil { mismatches.append("\(hour): stale exchange rows") }
    mismatches += try await dailyMismatches(database: database, asset: asset)
    mismatches += try await monthlyMismatches(database: database, asset: asset)
    mismatches += try await exchangeMonthlyMismatches(database: database)
    return mismatches
}

/// The days where the daily views disagree with the sums of the hourly views: the rollups they
/// read (migration 0012) must equal what the hours add up to, after every kind of write.
func dailyMismatches(database: TestDatabase, asset: String) async throws -> [String] {
    try await database.withConnection { connection async throws in
        try await connection.query(
            """
            WITH daily AS (
                SELECT day, NULL::text AS exchange, hours_covered, total_trades, total_amount_usd, long_trades, long_amount_usd,
                       short_trades, short_amount_usd
                FROM liquidations.daily WHERE asset = \(asset)
                UNION ALL
                SELECT day, exchange, hours_covered, total_trades, total_amount_usd, long_trades, long_amount_usd,
                       short_trades, short_amount_usd
                FROM liquidations.daily_by_exchange WHERE asset = \(asset)
            ), summed AS (
                SELECT (interval_start AT TIME ZONE 'UTC')::date, NULL::text, count(*)::integer, sum(total_trades),
                       sum(total_amount_usd), sum(long_trades), sum(long_amount_usd), sum(short_trades), sum(short_amount_usd)
                FROM liquidations.hourly WHERE asset = \(asset) GROUP BY 1
                UNION ALL
                SELECT (interval_start AT TIME ZONE 'UTC')::date, exchange, count(*)::integer, sum(total_trades),
                       sum(total_amount_usd), sum(long_trades), sum(long_amount_usd), sum(short_trades), sum(short_amount_usd)
                FROM liquidations.hourly_by_exchange WHERE asset = \(asset) GROUP BY 1, 2
            )
            SELECT 'daily ' || day || coalesce(' ' || exchange, '') || ': ' || side
            FROM (SELECT 'rollup without matching hours' AS side, * FROM (SELECT * FROM daily EXCEPT SELECT * FROM summed) AS a
                  UNION ALL
                  SELECT 'hours without matching rollup', * FROM (SELECT * FROM summed EXCEPT SELECT * FROM daily) AS b) AS x
            ORDER BY day, exchange
            """
        ).rows.map { try $0.decode(String.self) }
    }
}

/// The monthly views' rows of `asset` that differ from the sums of its daily rows, either way.
func monthlyMismatches(database: TestDatabase, asset: String) async throws -> [String] {
    try await database.withConnection { connection async throws in
        try await connection.query(
            """
            WITH monthly AS (
                SELECT month, NULL::text AS exchange, hours_covered, total_trades, total_amount_usd, long_trades, long_amount_usd,
                       short_trades, short_amount_usd
                FROM liquidations.monthly WHERE asset = \(asset)
                UNION ALL
                SELECT month, exchange, hours_covered, total_trades, total_amount_usd, long_trades, long_amount_usd,
                       short_trades, short_amount_usd
                FROM liquidations.monthly_by_exchange WHERE asset = \(asset)
            ), summed AS (
                SELECT date_trunc('month', day)::date, NULL::text, sum(hours_covered)::integer, sum(total_trades),
                       sum(total_amount_usd), sum(long_trades), sum(long_amount_usd), sum(short_trades), sum(short_amount_usd)
                FROM liquidations.daily WHERE asset = \(asset) GROUP BY 1
                UNION ALL
                SELECT date_trunc('month', day)::date, exchange, sum(hours_covered)::integer, sum(total_trades),
                       sum(total_amount_usd), sum(long_trades), sum(long_amount_usd), sum(short_trades), sum(short_amount_usd)
                FROM liquidations.daily_by_exchange WHERE asset = \(asset) GROUP BY 1, 2
            )
            SELECT 'monthly ' || month || coalesce(' ' || exchange, '') || ': ' || side
            FROM (SELECT 'rollup without matching days' AS side, * FROM (SELECT * FROM monthly EXCEPT SELECT * FROM summed) AS a
                  UNION ALL
                  SELECT 'days without matching rollup', * FROM (SELECT * FROM summed EXCEPT SELECT * FROM monthly) AS b) AS x
            ORDER BY month, exchange
            """
        ).rows.map { try $0.decode(String.self) }
    }
}

/// The exchanges and months where `liquidations.exchange_monthly` (every asset together, kept from
/// the changes its triggers log) differs from the sums of every asset's monthly exchange rows.
func exchangeMonthlyMismatches(database: TestDatabase) async throws -> [String] {
    try await database.withConnection { connection async throws in
        try await connection.query(
            """
            WITH across AS (
                SELECT month, exchange, assets, total_trades, total_amount_usd, long_trades, long_amount_usd, short_trades,
                       short_amount_usd
                FROM liquidations.exchange_monthly
            ), summed AS (
                SELECT month, exchange, count(*)::integer, sum(total_trades)::bigint, sum(total_amount_usd),
                       sum(long_trades)::bigint, sum(long_amount_usd), sum(short_trades)::bigint, sum(short_amount_usd)
                FROM liquidations.monthly_by_exchange GROUP BY 1, 2
            )
            SELECT 'exchange_monthly ' || month || ' ' || exchange || ': ' || side
            FROM (SELECT 'without matching asset months' AS side, * FROM (SELECT * FROM across EXCEPT SELECT * FROM summed) AS a
                  UNION ALL
                  SELECT 'asset months without a matching row', * FROM (SELECT * FROM summed EXCEPT SELECT * FROM across) AS b) AS x
            ORDER BY month, exchange
            """
        ).rows.map { try $0.decode(String.self) }
    }
}
