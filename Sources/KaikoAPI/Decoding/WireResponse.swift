import LiquidationModel

/// The endpoint's JSON, as sent: a proven data page.
///
/// An answer changes stored hours only when it proves it is a data page: a JSON object whose
/// `result` is `"success"` and whose `data` is an array. Anything else (`{}`, `"data": null`, a
/// proxy's own JSON error page, `"result": "error"` with a 200) is `NotADataPage`: the request
/// failed, and is retried like a 5xx. Inside a data page, decoding is tolerant where the API is
/// loose (unknown fields ignored, `exchanges` missing or null, amounts as numbers or numeric
/// strings, counts as integers or digit strings) and strict where correctness is at stake (a
/// count that is not an integer, an amount that is not a number: `WireShapeError`, the page is
/// refused).
struct WireResponse {
    let query: WireQuery?
    let data: [WireRecord]
    let continuationToken: String?
    let nextURL: String?

    /// Parses a response body. Throws `JSONSyntaxError` when the body is not JSON (or was cut
    /// short), `NotADataPage` when it is JSON but not a data page, `WireShapeError` when a data
    /// page holds values of the wrong form.
    static func parse(_ bytes: UnsafeRawBufferPointer) throws -> WireResponse {
        try WireResponse(try JSONParser.parse(bytes))
    }

    init(_ json: JSONValue) throws {
        let root = WirePath.root
        guard case .object = json else { throw NotADataPage(reason: "the body is \(json.kind), not an object") }
        switch json["result"] {
        case .string("success")?:
            break
        case .string(let result)?:
            let message = (try? json.optionalString("message", at: root)).flatMap { $0 }
            throw NotADataPage(
                reason: "\"result\" is \"\(result.prefix(40))\"" + (message.map { ": \($0.prefix(200))" } ?? ""))
        case nil:
            throw NotADataPage(reason: "no \"result\": \"success\"")
        case let other?:
            throw NotADataPage(reason: "\"result\" is \(other.kind)")
        }
        let records: [JSONValue]
        switch json["data"] {
        case .array(let elements)?: records = elements
        case nil: throw NotADataPage(reason: "no \"data\" array")
        case let other?: throw NotADataPage(reason: "\"data\" is \(other.kind), not an array")
        }
        query = try json["query"].flatMap { value throws(WireShapeError) in
            guard case .object = value else { return nil }
            return WireQuery(dataVersion: try value.optionalString("data_version", at: root.appending("query")))
        }
        data = try records.enumerated().map { offset, element throws(WireShapeError) in
            try WireRecord(element, at: root.appending("data").appending(offset))
        }
        continuationToken = try json.optionalString("continuation_token", at: root)
        nextURL = try json.optionalString("next_url", at: root)
    }
}

/// A 200 answer that does not prove it is a data page. It must not change anything stored:
/// the request is retried like a 5xx and, past the retry budget, the window fails.
struct NotADataPage: Error, CustomStringConvertible {
    let reason: String
    var description: String { "not a data page (\(reason))" }
}

struct WireQuery {
    let dataVersion: String?
}

/// An error body: `{"result":"error","message":"..."}`.
struct WireError {
    let message: String?

    static func parse(_ bytes: UnsafeRawBufferPointer) -> WireError? {
        guard let json = try? JSONParser.parse(bytes), case .string(let message)? = json["message"] else { return nil }
        return WireError(message: message)
    }
}

extension LiquidationFigures {
    /// The six figures of a record or of one of its exchanges.
    init(wire json: JSONValue, at path: WirePath) throws(WireShapeError) {
        self.init(
            totalTrades: try json.count("total_trades", at: path), totalAmount: try json.amount("total_amount", at: path),
            longTrades: try json.count("long_trades", at: path), longAmount: try json.amount("long_amount", at: path),
            shortTrades: try json.count("short_trades", at: path), shortAmount: try json.amount("short_amount", at: path))
    }
}

struct WireRecord {
    let intervalTime: String?
    let intervalTimestamp: Int64?
    let figures: LiquidationFigures
    let exchanges: [WireExchange]

    init(_ json: JSONValue, at path: WirePath) throws(WireShapeError) {
        guard case .object = json else { throw WireShapeError(path: path, message: "expected an object, found \(json.kind)") }
        intervalTime = try json.optionalString("interval_time", at: path)
        intervalTimestamp = json["interval_timestamp"]?.isNull == false
            ? try json.count("interval_timestamp", at: path) : nil
        figures = try LiquidationFigures(wire: json, at: path)
        exchanges = try (json.optionalArray("exchanges", at: path) ?? []).enumerated().map { offset, element throws(WireShapeError) in
            try WireExchange(element, at: path.appending("exchanges").appending(offset))
        }
    }
}

struct WireExchange {
    let exchange: String
    let figures: LiquidationFigures

    init(_ json: JSONValue, at path: WirePath) throws(WireShapeError) {
        guard case .object = json else { throw WireShapeError(path: path, message: "expected an object, found \(json.kind)") }
        guard case .string(let code)? = json["exchange"] else {
            throw json["exchange"] == nil
                ? WireShapeError(path: path, missing: "exchange")
                : WireShapeError(path: path.appending("exchange"), message: "expected a string")
        }
        exchange = code
        figures = try LiquidationFigures(wire: json, at: path)
    }
}

/// Where in the document a value sits: `data[3].exchanges[1].long_amount`.
struct WirePath: CustomStringConvertible {
    let description: String
    static let root = WirePath(description: "")
    func appending(_ key: String) -> WirePath { WirePath(description: description.isEmpty ? key : "\(description).\(key)") }
    func appending(_ offset: Int) -> WirePath { WirePath(description: "\(description)[\(offset)]") }
}

/// JSON of the wrong shape; `summary` reads like `data[3].exchanges[1].long_amount: expected a
/// decimal amount` or `missing field 'total_trades' in data[3]`.
struct WireShapeError: Error {
    let summary: String

    init(path: WirePath, message: String) {
        summary = path.description.isEmpty ? message : "\(path): \(message)"
    }

    init(path: WirePath, missing key: String) {
        summary = "missing field '\(key)'" + (path.description.isEmpty ? "" : " in \(path)")
    }
}

extension JSONValue {
    var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    func optionalString(_ key: String, at path: WirePath) throws(WireShapeError) -> String? {
        switch self[key] {
        case nil, .null?: return nil
        case .string(let text)?: return text
        case let other?: throw WireShapeError(path: path.appending(key), message: "expected a string, found \(other.kind)")
        }
    }

    /// An array that may also be missing or null (nil then).
    func optionalArray(_ key: String, at path: WirePath) throws(WireShapeError) -> [JSONValue]? {
        switch self[key] {
        case nil, .null?: return nil
        case .array(let elements)?: return elements
        case let other?: throw WireShapeError(path: path.appending(key), message: "expected an array, found \(other.kind)")
        }
    }

    /// An integer count: a JSON integer, or a string of digits.
    func count(_ key: String, at path: WirePath) throws(WireShapeError) -> Int64 {
        switch self[key] {
        case nil: throw WireShapeError(path: path, missing: key)
        case .number(let text)?, .string(let text)?:
            guard let value = Int64(text) else {
                throw WireShapeError(path: path.appending(key), message: "expected an integer count, found '\(text.prefix(40))'")
            }
            return value
        case let other?: throw WireShapeError(path: path.appending(key), message: "expected an integer count, found \(other.kind)")
        }
    }

    /// A USD amount, exactly: a JSON number's own digits, or a numeric string kept verbatim.
    func amount(_ key: String, at path: WirePath) throws(WireShapeError) -> DecimalAmount {
        switch self[key] {
        case nil: throw WireShapeError(path: path, missing: key)
        case .number(let text)?, .string(let text)?:
            guard let amount = DecimalAmount(text) else {
                throw WireShapeError(path: path.appending(key), message: "'\(text.prefix(40))' is not a decimal number")
            }
            return amount
        case let other?: throw WireShapeError(path: path.appending(key), message: "expected a decimal amount, found \(other.kind)")
        }
    }
}
