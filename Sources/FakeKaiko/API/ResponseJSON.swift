import LiquidationModel

/// Writes the endpoint's JSON by hand, so amounts appear exactly as decimal literals with all
/// their digits, and zero amounts as the integer `0`, as in Kaiko's example.
enum ResponseJSON {
    static func page(
        query: LiquidationQuery, intervals: [FakeInterval], continuationToken: String?, nextURL: String?, now: Double,
        envelope: ResponseEnvelope, corrupt: Bool = false, nullData: Bool = false
    ) -> String {
        let width = query.intervalHours * 3600
        let first = intervals.map(\.start).min()
        let last = intervals.map(\.start).max().map { $0 + width }
        var json = "{\"query\":{"
        json += "\"request_time\":\(string(isoMillis(now))),"
        json += "\"query_start_time\":\(string(query.queryStartText)),"
        json += "\"query_end_time\":\(string(query.queryEndText)),"
        json += "\"data_start_time\":\(string(UTCTimestamp.format(secondsSinceEpoch: query.start))),"
        let dataEnd = query.end + (width - ((query.end % width) + width) % width) % width
        json += "\"data_end_time\":\(string(UTCTimestamp.format(secondsSinceEpoch: dataEnd))),"
        json += "\"start_time\":\(first.map { string(UTCTimestamp.format(secondsSinceEpoch: $0)) } ?? "null"),"
        json += "\"start_timestamp\":\(first.map { String($0 * 1000) } ?? "null"),"
        json += "\"end_time\":\(last.map { string(UTCTimestamp.format(secondsSinceEpoch: $0)) } ?? "null"),"
        json += "\"end_timestamp\":\(last.map { String($0 * 1000) } ?? "null"),"
        json += "\"page_size\":\(query.pageSize),\"sort\":\(string(query.ascending ? "asc" : "desc")),"
        json += "\"token\":\(string(query.asset)),\"interval\":\(string(query.intervalText)),"
        json += "\"commodity\":\"liquidationEvents\",\"data_version\":\"v1\"},"
        json += "\"answer_time\":\(string(isoMillis(now))),\"answer_timestamp\":\(Int64(now * 1000)),"
        json += "\"access\":{\"access_range\":{\"start_timestamp\":1688428800000,\"end_timestamp\":2177539199000},"
        json += "\"data_range\":{\"start_timestamp\":null,\"end_timestamp\":null}},"
        if envelope == .general {
            json += "\"result\":\"success\",\"time\":\(string(isoMillis(now))),\"timestamp\":\(Int64(now * 1000)),"
        }
        json += "\"data\":" + (nullData ? "null" : records(intervals, corrupt: corrupt))
        if let continuationToken { json += ",\"continuation_token\":\(string(continuationToken))" }
        if let nextURL { json += ",\"next_url\":\(string(nextURL))" }
        return json + "}"
    }

    static func records(_ intervals: [FakeInterval], corrupt: Bool = false) -> String {
        var json = "["
        for (index, interval) in intervals.enumerated() {
            if index > 0 { json += "," }
            json += "{\"interval_time\":\(string(UTCTimestamp.format(secondsSinceEpoch: interval.start))),"
            json += "\"interval_timestamp\":\(interval.start * 1_000_000_000),"
            var totals = interval.totals
            if corrupt { totals.shortTrades += 1; totals.longTrades += 1 }  // total no longer adds up
            json += corrupt ? figures(totals, totalTradesOverride: interval.totals.totalTrades) : figures(totals)
            json += ",\"exchanges\":["
            for (position, exchange) in interval.exchanges.enumerated() {
                if position > 0 { json += "," }
                json += "{\"exchange\":\(string(exchange.code)),\(figures(exchange.figures))}"
            }
            json += "]}"
        }
        return json + "]"
    }

    static func figures(_ figures: FakeFigures, totalTradesOverride: Int64? = nil) -> String {
        "\"total_trades\":\(totalTradesOverride ?? figures.totalTrades),\"total_amount\":\(FakeFigures.decimal(figures.totalUnits)),"
            + "\"long_trades\":\(figures.longTrades),\"long_amount\":\(FakeFigures.decimal(figures.longUnits)),"
            + "\"short_trades\":\(figures.shortTrades),\"short_amount\":\(FakeFigures.decimal(figures.shortUnits))"
    }

    /// The reference data's exchange list: `{"result":"success","data":[{code, name, kaiko_legacy_slug}]}`.
    static func exchanges(_ list: [(code: String, name: String)]) -> String {
        let entries = list.map { entry in
            "{\"code\":\(string(entry.code)),\"name\":\(string(entry.name)),\"kaiko_legacy_slug\":\(string(entry.code))}"
        }
        return "{\"result\":\"success\",\"data\":[" + entries.joined(separator: ",") + "]}"
    }

    static func error(_ message: String) -> String {
        "{\"message\":\(string(message)),\"result\":\"error\"}"
    }

    static func string(_ text: String) -> String {
        var json = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": json += "\\\""
            case "\\": json += "\\\\"
            case "\n": json += "\\n"
            case _ where scalar.value < 0x20: json += "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count) + String(scalar.value, radix: 16)
            default: json.unicodeScalars.append(scalar)
            }
        }
        return json + "\""
    }

    /// `2025-04-04T12:09:55.546Z`.
    static func isoMillis(_ seconds: Double) -> String {
        let whole = Int64(seconds.rounded(.down))
        let millis = Int64((seconds - Double(whole)) * 1000)
        let base = UTCTimestamp.format(secondsSinceEpoch: whole)
        let padded = String(repeating: "0", count: 3 - String(millis).count) + String(millis)
        return String(base.dropLast()) + "." + padded + "Z"
    }
}
