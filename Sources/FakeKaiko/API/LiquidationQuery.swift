import Foundation
import LiquidationModel

/// A request to the endpoint, after defaults and validation, as the continuation token carries
/// it from page to page.
struct LiquidationQuery: Equatable, Sendable {
    var asset: String
    var intervalHours: Int64
    var pageSize: Int
    var ascending: Bool
    /// Rounded down to the interval.
    var start: Int64
    var end: Int64
    /// Where the next page continues: the next bucket start (ascending) or the previous one's
    /// end (descending). Nil on the first page.
    var cursor: Int64?
    /// As the client sent them, echoed in `query`.
    var queryStartText: String
    var queryEndText: String

    var intervalText: String { intervalHours % 24 == 0 ? "\(intervalHours / 24)d" : "\(intervalHours)h" }

    /// Why a request is refused with 400.
    struct Invalid: Error {
        let message: String
    }

    /// Reads the first request's parameters, applying the documented defaults.
    static func parse(asset: String, parameters: [String: String], now: Int64, datasetStart: Int64) throws(Invalid)
        -> LiquidationQuery
    {
        let known: Set<String> = ["interval", "page_size", "sort", "start_time", "end_time", "continuation_token"]
        if let unknown = parameters.keys.sorted().first(where: { !known.contains($0) }) {
            throw Invalid(message: "Unknown parameter: \(unknown)")
        }
        let intervalHours = try parseInterval(parameters["interval"] ?? "1h")
        var pageSize = 100
        if let text = parameters["page_size"] {
            guard let value = Int(text), (1...1000).contains(value) else {
                throw Invalid(message: "Invalid page_size: must be an integer between 1 and 1000")
            }
            pageSize = value
        }
        let sort = parameters["sort"] ?? "desc"
        guard sort == "asc" || sort == "desc" else { throw Invalid(message: "Invalid sort: must be asc or desc") }
        let startText = parameters["start_time"]
        let endText = parameters["end_time"]
        let requestedStart = try startText.map { text throws(Invalid) in try parseTime(text, name: "start_time") } ?? datasetStart
        let end = try endText.map { text throws(Invalid) in try parseTime(text, name: "end_time") } ?? now
        let width = intervalHours * 3600
        let start = requestedStart - ((requestedStart % width) + width) % width
        guard start < end else { throw Invalid(message: "Invalid time range: start_time must be before end_time") }
        return LiquidationQuery(
            asset: asset, intervalHours: intervalHours, pageSize: pageSize, ascending: sort == "asc", start: start,
            end: end, cursor: nil, queryStartText: startText ?? UTCTimestamp.format(secondsSinceEpoch: requestedStart),
            queryEndText: endText ?? UTCTimestamp.format(secondsSinceEpoch: end))
    }

    /// `1h`...`24h`, or `1d`: an arbitrary whole number of hours up to a day.
    static func parseInterval(_ text: String) throws(Invalid) -> Int64 {
        let invalid = Invalid(message: "Invalid interval '\(text)': use 1h to 24h, or 1d")
        guard let unit = text.last, let value = Int64(text.dropLast()), value > 0 else { throw invalid }
        switch unit {
        case "h" where value <= 24: return value
        case "d" where value == 1: return 24
        default: throw invalid
        }
    }

    static func parseTime(_ text: String, name: String) throws(Invalid) -> Int64 {
        do {
            return try UTCTimestamp.parse(text)
        } catch {
            throw Invalid(message: "Invalid \(name) '\(text)': use ISO 8601, e.g. 2025-01-01T00:00:00.000Z")
        }
    }

}

// MARK: - Continuation tokens (an extension, so the memberwise initializer stays)

extension LiquidationQuery {
    /// An opaque token: the query's state, base64url-encoded.
    var continuationToken: String {
        let fields = [
            "v1", asset, String(intervalHours), String(pageSize), ascending ? "asc" : "desc", String(start), String(end),
            cursor.map(String.init) ?? "", queryStartText, queryEndText,
        ]
        return Data(fields.joined(separator: "\u{1f}").utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    init?(continuationToken token: String) {
        var base64 = token.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        guard let data = Data(base64Encoded: base64), let text = String(data: data, encoding: .utf8) else { return nil }
        let fields = text.split(separator: "\u{1f}", omittingEmptySubsequences: false).map(String.init)
        guard fields.count == 10, fields[0] == "v1", let interval = Int64(fields[2]), let pageSize = Int(fields[3]),
              let start = Int64(fields[5]), let end = Int64(fields[6]), fields[4] == "asc" || fields[4] == "desc"
        else { return nil }
        self.init(
            asset: fields[1], intervalHours: interval, pageSize: pageSize, ascending: fields[4] == "asc", start: start,
            end: end, cursor: fields[7].isEmpty ? nil : Int64(fields[7]), queryStartText: fields[8],
            queryEndText: fields[9])
    }
}
