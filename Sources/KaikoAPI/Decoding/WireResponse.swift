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
        try WireResponse(try JSONDocument.parse(bytes).root)
    }

    init(_ json: JSONNode) throws {
        let root = WirePath.root
        guard json.isObject else { throw NotADataPage(reason: "the body is \(json.kind), not an object") }
        switch json["result"] {
        case let result? where result.string == "success":
            break
        case let result? where result.string != nil:
            let message = (try? json.optionalString("message")).flatMap { $0 }
            throw NotADataPage(
                reason: "\"result\" is \"\(result.string!.prefix(40))\"" + (message.map { ": \($0.prefix(200))" } ?? ""))
        case nil:
            throw NotADataPage(reason: "no \"result\": \"success\"")
        case let other?:
            throw NotADataPage(reason: "\"result\" is \(other.kind)")
        }
        let records: [JSONNode]
        switch json["data"] {
        case let data? where data.isArray: records = data.elements ?? []
        case nil: throw NotADataPage(reason: "no \"data\" array")
        case let other?: throw NotADataPage(reason: "\"data\" is \(other.kind), not an array")
        }
        query = try json["query"].flatMap { value throws(WireShapeError) -> WireQuery? in
            guard value.isObject else { return nil }
            do throws(WireShapeError) { return WireQuery(dataVersion: try value.optionalString("data_version")) } catch { throw error.inside(root.appending("query")) }
        }
        data = try records.enumerated().map { offset, element throws(WireShapeError) in
            do throws(WireShapeError) { return try WireRecord(element) } catch { throw error.inside(root.appending("data").appending(offset)) }
        }
        continuationToken = try json.optionalString("continuation_token")
        nextURL = try json.optionalString("next_url")
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
        guard let json = try? JSONDocument.parse(bytes).root, let message = json["message"]?.string else { return nil }
        return WireError(message: message)
    }
}

extension LiquidationFigures {
    /// The six figures of a record or of one of its exchanges.
    init(wire json: JSONNode) throws(WireShapeError) {
        self.init(
            totalTrades: try json.count("total_trades"), totalAmount: try json.amount("total_amount"),
            longTrades: try json.count("long_trades"), longAmount: try json.amount("long_amount"),
            shortTrades: try json.count("short_trades"), shortAmount: try json.amount("short_amount"))
    }
}

struct WireRecord {
    let intervalTime: String?
    let intervalTimestamp: Int64?
    let figures: LiquidationFigures
    let exchanges: [WireExchange]

    /// Errors name where they are relative to the record; the page prefixes its own place.
    init(_ json: JSONNode) throws(WireShapeError) {
        guard json.isObject else { throw WireShapeError(path: .root, message: "expected an object, found \(json.kind)") }
        intervalTime = try json.optionalString("interval_time")
        intervalTimestamp = json["interval_timestamp"]?.isNull == false ? try json.count("interval_timestamp") : nil
        figures = try LiquidationFigures(wire: json)
        exchanges = try (json.optionalArray("exchanges") ?? []).enumerated().map { offset, element throws(WireShapeError) in
            do throws(WireShapeError) { return try WireExchange(element) } catch { throw error.inside(WirePath.root.appending("exchanges").appending(offset)) }
        }
    }
}

struct WireExchange {
    let exchange: String
    let figures: LiquidationFigures

    init(_ json: JSONNode) throws(WireShapeError) {
        guard json.isObject else { throw WireShapeError(path: .root, message: "expected an object, found \(json.kind)") }
        guard let code = json["exchange"]?.string else {
            throw json["exchange"] == nil
                ? WireShapeError(path: .root, missing: "exchange")
                : WireShapeError(path: WirePath.root.appending("exchange"), message: "expected a string")
        }
        exchange = code
        figures = try LiquidationFigures(wire: json)
    }
}

/// Where in the document a value sits: `data[3].exchanges[1].long_amount`. Decoders name a
/// place relative to what they decode and the caller prefixes its own (`inside`), so a path is
/// only spelled out for an error, not for each of a page's 6,000 objects.
struct WirePath: CustomStringConvertible {
    let description: String
    static let root = WirePath(description: "")
    func appending(_ key: String) -> WirePath { WirePath(description: description.isEmpty ? key : "\(description).\(key)") }
    func appending(_ offset: Int) -> WirePath { WirePath(description: "\(description)[\(offset)]") }

    /// `inner`, a path relative to this one, as a path from the root.
    func appending(_ inner: WirePath) -> WirePath {
        guard !inner.description.isEmpty else { return self }
        guard !description.isEmpty else { return inner }
        return WirePath(description: description + (inner.description.hasPrefix("[") ? "" : ".") + inner.description)
    }
}

/// JSON of the wrong shape; `summary` reads like `data[3].exchanges[1].long_amount: expected a
/// decimal amount` or `missing field 'total_trades' in data[3]`.
struct WireShapeError: Error {
    private enum Problem {
        case message(String)
        case missing(String)
    }

    private let path: WirePath
    private let problem: Problem

    init(path: WirePath, message: String) {
        self.path = path
        problem = .message(message)
    }

    init(path: WirePath, missing key: String) {
        self.path = path
        problem = .missing(key)
    }

    /// The same error, placed under `outer`.
    func inside(_ outer: WirePath) -> WireShapeError {
        switch problem {
        case .message(let message): WireShapeError(path: outer.appending(path), message: message)
        case .missing(let key): WireShapeError(path: outer.appending(path), missing: key)
        }
    }

    var summary: String {
        switch problem {
        case .message(let message): path.description.isEmpty ? message : "\(path): \(message)"
        case .missing(let key): "missing field '\(key)'" + (path.description.isEmpty ? "" : " in \(path)")
        }
    }
}

extension JSONNode {
    func optionalString(_ key: String) throws(WireShapeError) -> String? {
        switch self[key] {
        case nil: return nil
        case let value? where value.isNull: return nil
        case let value? where value.string != nil: return value.string
        case let other?: throw WireShapeError(path: WirePath.root.appending(key), message: "expected a string, found \(other.kind)")
        }
    }

    /// An array that may also be missing or null (nil then).
    func optionalArray(_ key: String) throws(WireShapeError) -> [JSONNode]? {
        switch self[key] {
        case nil: return nil
        case let value? where value.isNull: return nil
        case let value? where value.isArray: return value.elements
        case let other?: throw WireShapeError(path: WirePath.root.appending(key), message: "expected an array, found \(other.kind)")
        }
    }

    /// An integer count: a JSON integer, or a string of digits.
    func count(_ key: String) throws(WireShapeError) -> Int64 {
        switch self[key] {
        case nil: throw WireShapeError(path: .root, missing: key)
        case let value? where value.numberOrStringText != nil:
            let text = value.numberOrStringText!
            guard let value = Int64(text) else {
                throw WireShapeError(path: WirePath.root.appending(key), message: "expected an integer count, found '\(text.prefix(40))'")
            }
            return value
        case let other?: throw WireShapeError(path: WirePath.root.appending(key), message: "expected an integer count, found \(other.kind)")
        }
    }

    /// A USD amount, exactly: a JSON number's own digits, or a numeric string kept verbatim.
    func amount(_ key: String) throws(WireShapeError) -> DecimalAmount {
        switch self[key] {
        case nil: throw WireShapeError(path: .root, missing: key)
        case let value? where value.numberOrStringText != nil:
            let text = value.numberOrStringText!
            guard let amount = DecimalAmount(text) else {
                throw WireShapeError(path: WirePath.root.appending(key), message: "'\(text.prefix(40))' is not a decimal number")
            }
            return amount
        case let other?: throw WireShapeError(path: WirePath.root.appending(key), message: "expected a decimal amount, found \(other.kind)")
        }
    }
}
