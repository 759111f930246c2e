import LiquidationModel

/// Writes the endpoint's JSON by hand, so amounts appear exactly as decimal literals with all
/// their digits, and zero amounts as the integer `0`, as in Kaiko's example. Pages are written as
/// bytes (`JSONBytes`); the small bodies (errors, reference data) as text.
enum ResponseJSON {
    static func page(
        query: LiquidationQuery, intervals: [FakeInterval], continuationToken: String?, nextURL: String?, now: Double,
        envelope: ResponseEnvelope, corrupt: Bool = false, nullData: Bool = false
    ) -> [UInt8] {
        let width = query.intervalHours * 3600
        let first = intervals.map(\.start).min()
        let last = intervals.map(\.start).max().map { $0 + width }
        let dataEnd = query.end + (width - ((query.end % width) + width) % width) % width
        // A page's records take a little over a kilobyte an hour.
        var json = JSONBytes(reservingCapacity: 1024 + intervals.count * 1400)
        json.raw("{\"query\":{\"request_time\":")
        json.string(isoMillis(now))
        json.raw(",\"query_start_time\":")
        json.string(query.queryStartText)
        json.raw(",\"query_end_time\":")
        json.string(query.queryEndText)
        json.raw(",\"data_start_time\":")
        json.string(UTCTimestamp.format(secondsSinceEpoch: query.start))
        json.raw(",\"data_end_time\":")
        json.string(UTCTimestamp.format(secondsSinceEpoch: dataEnd))
        json.raw(",\"start_time\":")
        timestamp(first, into: &json)
        json.raw(",\"start_timestamp\":")
        milliseconds(first, into: &json)
        json.raw(",\"end_time\":")
        timestamp(last, into: &json)
        json.raw(",\"end_timestamp\":")
        milliseconds(last, into: &json)
        json.raw(",\"page_size\":")
        json.integer(Int64(query.pageSize))
        json.raw(",\"sort\":")
        json.string(query.ascending ? "asc" : "desc")
        json.raw(",\"token\":")
        json.string(query.asset)
        json.raw(",\"interval\":")
        json.string(query.intervalText)
        json.raw(",\"commodity\":\"liquidationEvents\",\"data_version\":\"v1\"},\"answer_time\":")
        json.string(isoMillis(now))
        json.raw(",\"answer_timestamp\":")
        json.integer(Int64(now * 1000))
        json.raw(",\"access\":{\"access_range\":{\"start_timestamp\":1688428800000,\"end_timestamp\":2177539199000},")
        json.raw("\"data_range\":{\"start_timestamp\":null,\"end_timestamp\":null}},")
        if envelope == .general {
            json.raw("\"result\":\"success\",\"time\":")
            json.string(isoMillis(now))
            json.raw(",\"timestamp\":")
            json.integer(Int64(now * 1000))
            json.raw(",")
        }
        json.raw("\"data\":")
        if nullData {
            json.raw("null")
        } else {
            records(intervals, corrupt: corrupt, into: &json)
        }
        if let continuationToken {
            json.raw(",\"continuation_token\":")
            json.string(continuationToken)
        }
        if let nextURL {
            json.raw(",\"next_url\":")
            json.string(nextURL)
        }
        json.raw("}")
        return json.bytes
    }

    private static func timestamp(_ seconds: Int64?, into json: inout JSONBytes) {
        if let seconds { json.string(UTCTimestamp.format(secondsSinceEpoch: seconds)) } else { json.raw("null") }
    }

    private static func milliseconds(_ seconds: Int64?, into json: inout JSONBytes) {
        if let seconds { json.integer(seconds * 1000) } else { json.raw("null") }
    }

    /// The `data` array of a page.
    static func records(_ intervals: [FakeInterval], corrupt: Bool = false) -> String {
        var json = JSONBytes(reservingCapacity: intervals.count * 1400)
        records(intervals, corrupt: corrupt, into: &json)
        return String(decoding: json.bytes, as: UTF8.self)
    }

    static func records(_ intervals: [FakeInterval], corrupt: Bool = false, into json: inout JSONBytes) {
        json.raw("[")
        for (index, interval) in intervals.enumerated() {
            if index > 0 { json.raw(",") }
            json.raw("{\"interval_time\":")
            json.string(UTCTimestamp.format(secondsSinceEpoch: interval.start))
            json.raw(",\"interval_timestamp\":")
            json.integer(interval.start * 1_000_000_000)
            json.raw(",")
            var totals = interval.totals
            if corrupt { totals.shortTrades += 1; totals.longTrades += 1 }  // total no longer adds up
            figures(totals, totalTradesOverride: corrupt ? interval.totals.totalTrades : nil, into: &json)
            json.raw(",\"exchanges\":[")
            for (position, exchange) in interval.exchanges.enumerated() {
                if position > 0 { json.raw(",") }
                json.raw("{\"exchange\":")
                json.string(exchange.code)
                json.raw(",")
                figures(exchange.figures, into: &json)
                json.raw("}")
            }
            json.raw("]}")
        }
        json.raw("]")
    }

    static func figures(_ figures: FakeFigures, totalTradesOverride: Int64? = nil, into json: inout JSONBytes) {
        json.raw("\"total_trades\":")
        json.integer(totalTradesOverride ?? figures.totalTrades)
        json.raw(",\"total_amount\":")
        json.decimal(units: figures.totalUnits)
        json.raw(",\"long_trades\":")
        json.integer(figures.longTrades)
        json.raw(",\"long_amount\":")
        json.decimal(units: figures.longUnits)
        json.raw(",\"short_trades\":")
        json.integer(figures.shortTrades)
        json.raw(",\"short_amount\":")
        json.decimal(units: figures.shortUnits)
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
