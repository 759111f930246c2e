import LiquidationModel

/// The endpoint's JSON, as sent: a data page, read.
///
/// A data page is a JSON object whose `data` is an array; its `result`, when present, must be
/// `"success"` (the endpoint's own example carries none; Kaiko's general envelope does, and
/// `"result": "error"` is Kaiko's error with its `message`). Anything else (`{}`, `"data": null`,
/// a proxy's own JSON error page, `"result": "error"` with a 200) is `NotADataPage`: the request
/// failed, and is retried like a 5xx. Whether the page answers the question asked is read from
/// its `query` echo (`WireQuery`) by `AskedQuestion`. Inside a data page, decoding is tolerant
/// where the API is loose (unknown fields ignored, `exchanges` missing or null, amounts as
/// numbers or numeric strings, counts as integers or digit strings) and strict where correctness
/// is at stake (a count that is not an integer, an amount that is not a number: `WireShapeError`,
/// the page is refused).
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
        if let result = json["result"] {
            guard let outcome = result.string else { throw NotADataPage(reason: "\"result\" is \(result.kind)") }
            guard outcome == "success" else {
                let message = (try? json.optionalString("message")).flatMap { $0 }
                throw NotADataPage(
                    reason: "\"result\" is \"\(outcome.prefix(40))\"" + (message.map { ": \($0.prefix(200))" } ?? ""))
            }
        }
        guard let data = json["data"] else { throw NotADataPage(reason: "no \"data\" array") }
        guard let records = data.elements else { throw NotADataPage(reason: "\"data\" is \(data.kind), not an array") }
        query = try json["query"].flatMap { value throws(WireShapeError) -> WireQuery? in
            guard !value.isNull else { return nil }
            guard value.isObject else {
                throw WireShapeError(path: root.appending("query"), message: "expected an object, found \(value.kind)")
            }
            do throws(WireShapeError) {
                return try WireQuery(value)
            } catch {
                throw error.inside(root.appending("query"))
            }
        }
        self.data = try records.enumerated().map { offset, element throws(WireShapeError) in
            do throws(WireShapeError) {
                return try WireRecord(element)
            } catch {
                throw error.inside(root.appending("data").appending(offset))
            }
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

/// The `query` echo: what the server says it answered. Every member is optional here (the
/// echo may be partial); `AskedQuestion` decides what must be there.
struct WireQuery {
    /// The asset, as `token`.
    let token: String?
    /// The interval parameter, e.g. `1h`.
    let interval: String?
    /// `start_time` and `end_time` as the request sent them (the echo's own `start_time` and
    /// `end_time` describe the page's data, not the request).
    let queryStartTime: String?
    let queryEndTime: String?
    let dataVersion: String?

    init(token: String? = nil, interval: String? = nil, queryStartTime: String? = nil, queryEndTime: String? = nil,
         dataVersion: String? = nil)
    {
        self.token = token
        self.interval = interval
        self.queryStartTime = queryStartTime
        self.queryEndTime = queryEndTime
        self.dataVersion = dataVersion
    }

    init(_ json: JSONNode) throws(WireShapeError) {
        self.init(
            token: try json.optionalString("token"), interval: try json.optionalString("interval"),
            queryStartTime: try json.optionalString("query_start_time"),
            queryEndTime: try json.optionalString("query_end_time"), dataVersion: try json.optionalString("data_version"))
    }
}

/// An error body: `{"result":"error","message":"..."}`.
struct WireError {
    let message: String?

    static func parse(_ bytes: UnsafeRawBufferPointer) -> WireError? {
        guard let json = try? JSONDocument.parse(bytes).root, let message = json["message"]?.string else { return nil }
        return WireError(message: message)
    }
}

/// The members a record or an exchange may have, found in one pass over the object: each
/// measure's field (`Measure.name`) and the record's own members.
struct WireFields {
    /// A record's members besides its figures.
    enum Member: CaseIterable {
        case exchange, exchanges, intervalTime, intervalTimestamp

        var name: StaticString {
            switch self {
            case .exchange: "exchange"
            case .exchanges: "exchanges"
            case .intervalTime: "interval_time"
            case .intervalTimestamp: "interval_timestamp"
            }
        }
    }

    let object: JSONNode
    /// Tape positions of the members' values (-1: absent; the last of a repeated name, as
    /// `JSONNode.subscript` reads it).
    private var measures = PerMeasure(repeating: -1)
    private var members = MemberPositions()

    /// Where a name's value goes.
    private enum Slot {
        case measure(Measure)
        case member(Member)
    }

    /// Every name looked for, the measures' then the members', made once.
    private static let names: [(name: StaticString, slot: Slot)] =
        Measure.allCases.map { ($0.name, .measure($0)) } + Member.allCases.map { ($0.name, .member($0)) }

    init(_ object: JSONNode) {
        self.object = object
        let names = Self.names
        object.forEachMember { name, position in
            for wanted in names where name.is(wanted.name) {
                switch wanted.slot {
                case .measure(let measure): measures[measure] = position
                case .member(let member): members[member] = position
                }
                return
            }
        }
    }

    subscript(measure: Measure) -> WireMember {
        WireMember(key: measure.name, value: object.node(at: measures[measure]))
    }

    subscript(member: Member) -> WireMember {
        WireMember(key: member.name, value: object.node(at: members[member]))
    }

    private struct MemberPositions {
        private var exchange = -1, exchanges = -1, intervalTime = -1, intervalTimestamp = -1

        subscript(member: Member) -> Int {
            get {
                switch member {
                case .exchange: exchange
                case .exchanges: exchanges
                case .intervalTime: intervalTime
                case .intervalTimestamp: intervalTimestamp
                }
            }
            set {
                switch member {
                case .exchange: exchange = newValue
                case .exchanges: exchanges = newValue
                case .intervalTime: intervalTime = newValue
                case .intervalTimestamp: intervalTimestamp = newValue
                }
            }
        }
    }
}

extension LiquidationFigures {
    /// The figures of a record or of one of its exchanges: every measure's field. Spelled out,
    /// not a loop over `Measure.allCases`: this runs for every object of every page, and the
    /// loop's values wrapped and unwrapped cost a tenth of the decoding. It still follows
    /// `Measure`: a new measure is a stored property of `LiquidationFigures`, and this call
    /// fails to compile without it; `MeasureDerivationTests` checks each field lands in its place.
    init(wire fields: WireFields) throws(WireShapeError) {
        self.init(
            totalTrades: try fields[.totalTrades].count(), totalAmount: try fields[.totalAmount].amount(),
            longTrades: try fields[.longTrades].count(), longAmount: try fields[.longAmount].amount(),
            shortTrades: try fields[.shortTrades].count(), shortAmount: try fields[.shortAmount].amount())
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
        let fields = WireFields(json)
        intervalTime = try fields[.intervalTime].optionalString()
        let stamp = fields[.intervalTimestamp]
        intervalTimestamp = stamp.value?.isNull == false ? try stamp.count() : nil
        figures = try LiquidationFigures(wire: fields)
        exchanges = try (fields[.exchanges].optionalArray() ?? []).enumerated().map { offset, element throws(WireShapeError) in
            do throws(WireShapeError) {
                return try WireExchange(element)
            } catch {
                throw error.inside(WirePath.root.appending("exchanges").appending(offset))
            }
        }
    }
}

struct WireExchange {
    let exchange: String
    let figures: LiquidationFigures

    init(_ json: JSONNode) throws(WireShapeError) {
        guard json.isObject else { throw WireShapeError(path: .root, message: "expected an object, found \(json.kind)") }
        let fields = WireFields(json)
        let code = fields[.exchange].value
        guard let text = code?.string else {
            throw code == nil
                ? WireShapeError(path: .root, missing: "exchange")
                : WireShapeError(path: WirePath.root.appending("exchange"), message: "expected a string")
        }
        exchange = text
        figures = try LiquidationFigures(wire: fields)
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
    /// The member `key`, to be read as what a page holds there.
    func member(_ key: StaticString) -> WireMember { WireMember(key: key, value: self[key]) }

    func optionalString(_ key: StaticString) throws(WireShapeError) -> String? { try member(key).optionalString() }
}

/// A member of an object, found by name (nil `value`: the object lacks it), read as what a page
/// holds there; errors name the member.
struct WireMember {
    /// A literal: the name is spelled out only for an error.
    let key: StaticString
    let value: JSONNode?

    func optionalString() throws(WireShapeError) -> String? {
        switch value {
        case nil: return nil
        case let value? where value.isNull: return nil
        case let value? where value.string != nil: return value.string
        case let other?: throw WireShapeError(path: WirePath.root.appending(key.description), message: "expected a string, found \(other.kind)")
        }
    }

    /// An array that may also be missing or null (nil then).
    func optionalArray() throws(WireShapeError) -> [JSONNode]? {
        switch value {
        case nil: return nil
        case let value? where value.isNull: return nil
        case let value? where value.isArray: return value.elements
        case let other?: throw WireShapeError(path: WirePath.root.appending(key.description), message: "expected an array, found \(other.kind)")
        }
    }

    /// An integer count: a JSON integer, or a string of digits.
    func count() throws(WireShapeError) -> Int64 {
        switch value {
        case nil: throw WireShapeError(path: .root, missing: key.description)
        case let value? where value.numberOrStringText != nil:
            let text = value.numberOrStringText!
            guard let value = Int64(text) else {
                throw WireShapeError(path: WirePath.root.appending(key.description), message: "expected an integer count, found '\(text.prefix(40))'")
            }
            return value
        case let other?: throw WireShapeError(path: WirePath.root.appending(key.description), message: "expected an integer count, found \(other.kind)")
        }
    }

    /// A USD amount, exactly: a JSON number's own digits, or a numeric string kept verbatim.
    func amount() throws(WireShapeError) -> DecimalAmount {
        // The common case, a number or a plain numeric string, straight from the page's bytes.
        if let bytes = value?.plainBytes, let amount = DecimalAmount(utf8: bytes) { return amount }
        switch value {
        case nil: throw WireShapeError(path: .root, missing: key.description)
        case let value? where value.numberOrStringText != nil:
            let text = value.numberOrStringText!
            guard let amount = DecimalAmount(text) else {
                throw WireShapeError(path: WirePath.root.appending(key.description), message: "'\(text.prefix(40))' is not a decimal number")
            }
            return amount
        case let other?: throw WireShapeError(path: WirePath.root.appending(key.description), message: "expected a decimal amount, found \(other.kind)")
        }
    }
}
