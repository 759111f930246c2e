import Foundation
import HTTPTypes
import Hummingbird
import LiquidationModel
import Logging
import NIOCore
import Synchronization

/// The stand-in for Kaiko's token-level liquidation volumes endpoint.
///
/// `GET /v2/data/liquidation.v1/token/{asset}` behaves as the reference page documents
/// (parameters, defaults, limits, envelope, pagination, error bodies). Test-only routes live
/// under `/_fake/`: the final figures of a range (`truth`), the clock, and request counts.
public final class FakeKaiko: Sendable {
    public let configuration: FakeKaikoConfiguration
    public let clock: FakeClock
    let dataset: FakeDataset
    let faults: FaultInjector
    private let counters = Mutex<[Int: Int]>([:])
    /// When each data request arrived (seconds since the epoch, real time), the latest
    /// `maxArrivals`: what a test checks a request budget against.
    private let arrivals = Mutex<[Double]>([])
    static let maxArrivals = 100_000
    /// Data requests being answered now, and how many were at each arrival (with it), in the
    /// order of `arrivals`: what a test sees a client's requests in flight by.
    private let inFlight = Mutex((now: 0, atArrival: [Int]()))
    private let endlessTokens = Mutex(0)
    private let pageCache = PageCache()

    public init(configuration: FakeKaikoConfiguration = FakeKaikoConfiguration(), clock: FakeClock = FakeClock()) {
        self.configuration = configuration
        self.clock = clock
        self.dataset = FakeDataset(configuration: configuration)
        self.faults = FaultInjector(configuration: configuration.faults)
    }

    /// Faults to answer the next data requests with, in order, before any random ones.
    public func script(_ faults: [FakeFault]) {
        self.faults.script(faults)
    }

    /// Answers every data request with `fault` until called again (nil: behave).
    public func setPersistentFault(_ fault: FakeFault?) {
        faults.setPersistent(fault)
    }

    /// Answers every data request for `asset` with `fault` until called again (nil: behave).
    public func setPersistentFault(_ fault: FakeFault?, forAsset asset: String) {
        faults.setPersistent(fault, forAsset: asset)
    }

    /// When the data requests answered so far arrived, in real seconds since the epoch.
    public var arrivalTimes: [Double] { arrivals.withLock { $0 } }

    /// The data requests in progress when each of `arrivalTimes` arrived, itself included.
    public var inFlightAtArrival: [Int] { inFlight.withLock { $0.atArrival } }

    /// Data requests answered so far, by HTTP status (a disconnect counts as status 0).
    public var requestCounts: [Int: Int] { counters.withLock { $0 } }
    public var totalRequests: Int { counters.withLock { $0.values.reduce(0, +) } }

    /// The final records of `[start, end)` for `asset`, as the API would send them once every
    /// hour is final; hours without liquidations are absent.
    public func truthJSON(asset: String, start: Int64, end: Int64) -> String {
        var intervals: [FakeInterval] = []
        var hour = start - ((start % 3600) + 3600) % 3600
        while hour < end {
            if let interval = dataset.finalHour(asset: asset, start: hour) { intervals.append(interval) }
            hour += 3600
        }
        return "{\"data\":" + ResponseJSON.records(intervals) + "}"
    }

    // MARK: - HTTP

    public func makeRouter() -> Router<BasicRequestContext> {
        let router = Router()
        router.get("/v2/data/liquidation.v1/token/:asset") { request, context in
            try await self.liquidations(request, asset: context.parameters.get("asset") ?? "")
        }
        // Kaiko's reference data (another host there; the same server here).
        router.get("/v1/exchanges") { _, _ in
            Self.json(.ok, ResponseJSON.exchanges(Self.referenceExchanges))
        }
        router.get("/_fake/truth/:asset") { request, context in
            self.truth(request, asset: context.parameters.get("asset") ?? "")
        }
        router.post("/_fake/clock") { request, _ in
            self.setClock(request)
        }
        router.get("/_fake/clock") { _, _ in
            Self.json(.ok, "{\"now\":\(ResponseJSON.string(ResponseJSON.isoMillis(self.clock.now())))}")
        }
        router.post("/_fake/faults") { request, _ in
            self.setFaults(request)
        }
        router.get("/_fake/stats") { _, _ in
            let counts = self.requestCounts.sorted { $0.key < $1.key }.map { "\"\($0.key)\":\($0.value)" }
            let arrivals = self.arrivalTimes.map { String(format: "%.6f", $0) }.joined(separator: ",")
            let inFlight = self.inFlightAtArrival.map(String.init).joined(separator: ",")
            return Self.json(
                .ok,
                "{\"requests\":\(self.totalRequests),\"by_status\":{\(counts.joined(separator: ","))},\"arrivals\":[\(arrivals)],"
                    + "\"in_flight_at_arrival\":[\(inFlight)]}")
        }
        return router
    }

    private func liquidations(_ request: Request, asset: String) async throws -> Response {
        let arrived = Date().timeIntervalSince1970
        arrivals.withLock { times in
            inFlight.withLock { inFlight in
                if times.count >= Self.maxArrivals {
                    times.removeFirst(times.count / 2)
                    inFlight.atArrival.removeFirst(inFlight.atArrival.count / 2)
                }
                inFlight.now += 1
                inFlight.atArrival.append(inFlight.now)
            }
            times.append(arrived)
        }
        defer { inFlight.withLock { $0.now -= 1 } }
        if configuration.faults.latencyMilliseconds > 0 {
            try await Task.sleep(for: .milliseconds(configuration.faults.latencyMilliseconds))
        }
        let response = answer(request, asset: asset)
        count(response.status == .ok && response.body.contentLength == nil ? 0 : Int(response.status.code))
        return response
    }

    private func answer(_ request: Request, asset: String) -> Response {
        if let expected = configuration.apiKey {
            guard request.headers[Self.apiKeyHeader] == expected else {
                return Self.json(.unauthorized, ResponseJSON.error("Unauthorized: missing or invalid API key"))
            }
        }
        let known = configuration.assets.contains(asset)
        guard known || configuration.unknownAssetsAnswerEmpty else {
            return Self.json(.notFound, ResponseJSON.error("Unknown token: \(asset)"))
        }
        let now = clock.now()
        let parameters = Self.queryParameters(request)
        let authority = request.head.authority ?? "127.0.0.1"
        let fault = faults.nextFault(asset: asset)
        let query: LiquidationQuery
        if let token = parameters["continuation_token"] {
            if token.hasPrefix(Self.endlessTokenPrefix), fault == .endlessPagination {
                return Self.json(.ok, endlessPage(asset: asset, prefix: Self.continuationPrefix(authority, asset), now: now))
            }
            guard let decoded = LiquidationQuery(continuationToken: token), decoded.asset == asset else {
                return Self.json(.badRequest, ResponseJSON.error("Invalid continuation_token"))
            }
            query = decoded
        } else {
            do {
                query = try LiquidationQuery.parse(
                    asset: asset, parameters: parameters, now: Int64(now), datasetStart: configuration.datasetStart)
            } catch {
                return Self.json(.badRequest, ResponseJSON.error(error.message))
            }
        }
        switch fault {
        case .serverError(let status)?:
            return Self.json(
                HTTPResponse.Status(code: status),
                ResponseJSON.error(status == 503 ? "Service under maintenance" : "Internal server error, try again later"))
        case .badGateway?:
            var response = Response(
                status: .badGateway,
                body: ResponseBody(byteBuffer: ByteBuffer(string: "<html><body><h1>502 Bad Gateway</h1></body></html>")))
            response.headers[.contentType] = "text/html"
            return response
        case .rateLimited(let seconds, let asHTTPDate)?:
            var response = Self.json(.tooManyRequests, ResponseJSON.error("Rate limit reached"))
            response.headers[.retryAfter] = asHTTPDate ? Self.httpDate(Date().addingTimeInterval(Double(seconds))) : String(seconds)
            return response
        case .rateLimitedRaw(let text)?:
            var response = Self.json(.tooManyRequests, ResponseJSON.error("Rate limit reached"))
            response.headers[.retryAfter] = text
            return response
        case .emptyObject?:
            return Self.json(.ok, "{}")
        case .proxyErrorPage?:
            return Self.json(.ok, #"{"status":504,"error":"Gateway Timeout","message":"upstream request timeout"}"#)
        case .errorResult?:
            return Self.json(.ok, ResponseJSON.error("Internal error, please try again later"))
        case .noQueryEcho?:
            return Self.json(.ok, #"{"result":"success","data":[]}"#)
        default:
            break
        }
        // The request the page answers: the one asked, unless a cache serves another one's.
        let served = servedQuery(query, fault: fault)
        let prefix = Self.continuationPrefix(authority, served.asset)

        // A page served before at this same frozen instant is the same bytes again.
        let cacheKey = fault == nil && clock.isFrozen
            ? PageCache.key(authority: authority, target: request.uri.string, now: now) : nil
        if let cacheKey, let cached = pageCache.page(cacheKey) {
            return Self.json(.ok, cached)
        }
        let servedKnown = configuration.assets.contains(served.asset)
        var page = servedKnown && fault != .emptyData ? PageBuilder(dataset: dataset).page(for: served, now: Int64(now))
            : PageBuilder.Page(intervals: [], next: nil)
        var nextURL = page.next.map { prefix + $0.continuationToken }
        var token = page.next?.continuationToken
        switch fault {
        case .endlessPagination?:
            page.next = nil
            token = nil
            nextURL = prefix + nextEndlessToken()
        case .tokenWithoutNextURL?:
            nextURL = nil
        default:
            break
        }
        let body = ResponseJSON.page(
            query: served, intervals: page.intervals, continuationToken: token, nextURL: nextURL, now: now,
            envelope: configuration.envelope, corrupt: configuration.corruptAssets.contains(served.asset),
            nullData: fault == .nullData)
        switch fault {
        case .truncatedBody?:
            return Self.json(.ok, ByteBuffer(bytes: body.prefix(body.count / 2)))
        case .malformedBody?:
            return Self.json(.ok, "{\"data\": [ this is not json")
        case .disconnect?:
            let bytes = ByteBuffer(bytes: body)
            let half = bytes.getSlice(at: 0, length: bytes.readableBytes / 2)!
            var response = Response(
                status: .ok,
                body: ResponseBody(contentLength: bytes.readableBytes) { writer in
                    try await writer.write(half)
                    throw FakeDisconnect()
                })
            response.headers[.contentType] = "application/json"
            return response
        case .slowBody(let interval)?:
            let bytes = body
            var response = Response(
                status: .ok,
                body: ResponseBody(contentLength: bytes.count) { writer in
                    for byte in bytes {
                        try await writer.write(ByteBuffer(bytes: [byte]))
                        try await Task.sleep(for: .milliseconds(interval))
                    }
                    try await writer.finish(nil)
                })
            response.headers[.contentType] = "application/json"
            return response
        default:
            let bytes = ByteBuffer(bytes: body)
            if let cacheKey { pageCache.store(bytes, for: cacheKey) }
            return Self.json(.ok, bytes)
        }
    }

    static let endlessTokenPrefix = "endless-"

    static func continuationPrefix(_ authority: String, _ asset: String) -> String {
        "http://\(authority)/v2/data/liquidation.v1/token/\(asset)?continuation_token="
    }

    /// `query`, or the other request whose page a misbehaving cache serves for it.
    private func servedQuery(_ query: LiquidationQuery, fault: FakeFault?) -> LiquidationQuery {
        var served = query
        switch fault {
        case .otherAsset(let code)?:
            let known = configuration.assets.sorted()
            served.asset = code ?? known.first { $0 > query.asset } ?? known.first { $0 != query.asset } ?? query.asset
        case .otherWindow(let hours)?:
            let shift = hours * 3600
            served.start -= shift
            served.end -= shift
            served.cursor = query.cursor.map { $0 - shift }
            func shifted(_ text: String) -> String {
                (try? UTCTimestamp.parse(text)).map { UTCTimestamp.format(secondsSinceEpoch: $0 - shift) } ?? text
            }
            served.queryStartText = shifted(query.queryStartText)
            served.queryEndText = shifted(query.queryEndText)
        case .otherInterval(let hours)?:
            served.intervalHours = hours
            let width = hours * 3600
            served.start -= ((served.start % width) + width) % width
            served.cursor = nil
        default:
            break
        }
        return served
    }

    /// A token never handed out before, for `endlessPagination`.
    private func nextEndlessToken() -> String {
        Self.endlessTokenPrefix + String(endlessTokens.withLock { counter in
            counter += 1
            return counter
        })
    }

    /// A page of no record that points to yet another page.
    private func endlessPage(asset: String, prefix: String, now: Double) -> String {
        (configuration.envelope == .general ? "{\"result\":\"success\"," : "{")
            + "\"query\":{\"token\":\(ResponseJSON.string(asset)),\"data_version\":\"v1\"},\"data\":[],"
            + "\"next_url\":\(ResponseJSON.string(prefix + nextEndlessToken()))}"
    }

    private func truth(_ request: Request, asset: String) -> Response {
        let parameters = Self.queryParameters(request)
        guard let startText = parameters["start_time"], let endText = parameters["end_time"],
              let start = try? UTCTimestamp.parse(startText), let end = try? UTCTimestamp.parse(endText), start < end
        else {
            return Self.json(.badRequest, ResponseJSON.error("truth needs start_time < end_time"))
        }
        return Self.json(.ok, truthJSON(asset: asset, start: start, end: end))
    }

    private func setClock(_ request: Request) -> Response {
        let parameters = Self.queryParameters(request)
        if let text = parameters["now"], let seconds = try? UTCTimestamp.parse(text) {
            clock.set(Date(timeIntervalSince1970: Double(seconds)))
        } else if let hours = parameters["advance_hours"].flatMap(Double.init) {
            clock.advance(by: hours * 3600)
        } else if let seconds = parameters["advance_seconds"].flatMap(Double.init) {
            clock.advance(by: seconds)
        } else {
            return Self.json(.badRequest, ResponseJSON.error("use ?now=ISO8601, ?advance_hours=N or ?advance_seconds=N"))
        }
        return Self.json(.ok, "{\"now\":\(ResponseJSON.string(ResponseJSON.isoMillis(clock.now())))}")
    }

    /// `?persistent=NAME` (or `none`), for every asset or with `&asset=CODE` for one, and/or
    /// `?script=NAME,NAME,...`.
    private func setFaults(_ request: Request) -> Response {
        let parameters = Self.queryParameters(request)
        if let name = parameters["persistent"] {
            let fault = FakeFault(name: name)
            if let asset = parameters["asset"], name == "none" || fault != nil {
                faults.setPersistent(fault, forAsset: asset)
                return Self.json(.ok, "{\"asset\":\(ResponseJSON.string(asset)),\"persistent\":\(fault.map { ResponseJSON.string("\($0)") } ?? "null")}")
            } else if name == "none" {
                faults.setPersistent(nil)
            } else if let fault {
                faults.setPersistent(fault)
            } else {
                return Self.json(.badRequest, ResponseJSON.error("unknown fault '\(name)'"))
            }
        }
        if let names = parameters["script"] {
            let parsed = names.split(separator: ",").map { FakeFault(name: String($0)) }
            guard parsed.allSatisfy({ $0 != nil }) else {
                return Self.json(.badRequest, ResponseJSON.error("unknown fault in '\(names)'"))
            }
            faults.script(parsed.compactMap { $0 })
        }
        return Self.json(.ok, "{\"persistent\":\(faults.persistent.map { ResponseJSON.string("\($0)") } ?? "null")}")
    }

    private func count(_ status: Int) {
        counters.withLock { $0[status, default: 0] += 1 }
    }

    static func queryParameters(_ request: Request) -> [String: String] {
        let items = URLComponents(string: request.uri.string)?.queryItems ?? []
        var parameters: [String: String] = [:]
        for item in items { parameters[item.name] = item.value ?? "" }
        return parameters
    }

    static func json(_ status: HTTPResponse.Status, _ body: String) -> Response {
        json(status, ByteBuffer(string: body))
    }

    static func json(_ status: HTTPResponse.Status, _ body: ByteBuffer) -> Response {
        var response = Response(status: status, body: ResponseBody(byteBuffer: body))
        response.headers[.contentType] = "application/json"
        return response
    }

    static func httpDate(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        return formatter.string(from: date)
    }
}

struct FakeDisconnect: Error {}

extension FakeKaiko {
    /// The exchanges the reference data lists: the codes the synthetic data uses, with names as
    /// Kaiko's list has them (some renamed since liqsync's shipped list, one code it lacks).
    public static let referenceExchanges: [(code: String, name: String)] = [
        ("bbit", "Bybit"), ("okex", "OKX"), ("binc", "Binance"), ("bfnx", "Bitfinex"), ("drbt", "Deribit"),
        ("hbdm", "HTX Futures"), ("krkn", "Kraken"), ("bmex", "BitMEX"), ("bgon", "Bitget"), ("gtio", "Gate"),
        ("hypr", "Hyperliquid"), ("mexc", "MEXC"), ("phmx", "Phemex"), ("cnex", "CoinEx"), ("dydx", "dYdX"),
    ]
}

extension FakeKaiko {
    static let apiKeyHeader = HTTPField.Name("X-Api-Key")!
}
