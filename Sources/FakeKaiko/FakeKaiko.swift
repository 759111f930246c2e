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
        router.get("/_fake/truth/:asset") { request, context in
            self.truth(request, asset: context.parameters.get("asset") ?? "")
        }
        router.post("/_fake/clock") { request, _ in
            self.setClock(request)
        }
        router.get("/_fake/clock") { _, _ in
            Self.json(.ok, "{\"now\":\(ResponseJSON.string(ResponseJSON.isoMillis(self.clock.now())))}")
        }
        router.get("/_fake/stats") { _, _ in
            let counts = self.requestCounts.sorted { $0.key < $1.key }.map { "\"\($0.key)\":\($0.value)" }
            return Self.json(.ok, "{\"requests\":\(self.totalRequests),\"by_status\":{\(counts.joined(separator: ","))}}")
        }
        return router
    }

    private func liquidations(_ request: Request, asset: String) async throws -> Response {
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
        guard configuration.assets.contains(asset) else {
            return Self.json(.notFound, ResponseJSON.error("Unknown token: \(asset)"))
        }
        let now = clock.now()
        let parameters = Self.queryParameters(request)
        let query: LiquidationQuery
        if let token = parameters["continuation_token"] {
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
        let fault = faults.nextFault()
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
        default:
            break
        }

        let page = PageBuilder(dataset: dataset).page(for: query, now: Int64(now))
        let authority = request.head.authority ?? "127.0.0.1"
        let prefix = "http://\(authority)/v2/data/liquidation.v1/token/\(asset)?continuation_token="
        let body = ResponseJSON.page(
            query: query, intervals: page.intervals, next: page.next, nextURLPrefix: prefix, now: now,
            corrupt: configuration.corruptAssets.contains(asset))
        switch fault {
        case .truncatedBody?:
            return Self.json(.ok, String(body.prefix(body.count / 2)))
        case .malformedBody?:
            return Self.json(.ok, "{\"data\": [ this is not json")
        case .disconnect?:
            let bytes = ByteBuffer(string: body)
            let half = bytes.getSlice(at: 0, length: bytes.readableBytes / 2)!
            var response = Response(
                status: .ok,
                body: ResponseBody(contentLength: bytes.readableBytes) { writer in
                    try await writer.write(half)
                    throw FakeDisconnect()
                })
            response.headers[.contentType] = "application/json"
            return response
        default:
            return Self.json(.ok, body)
        }
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
        var response = Response(status: status, body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
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
    static let apiKeyHeader = HTTPField.Name("X-Api-Key")!
}
