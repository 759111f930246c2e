import Foundation
import Synchronization

/// A fault the stand-in can answer with instead of the data: what Kaiko, or a gateway or proxy
/// in front of it, plausibly sends on a bad day.
public enum FakeFault: Sendable, Equatable {
    /// 500 or 503 with a JSON error body.
    case serverError(status: Int)
    /// 502 with an HTML body, as a proxy in front of the API would send.
    case badGateway
    /// 429 with `Retry-After` in seconds, or as an HTTP date that many seconds ahead.
    case rateLimited(retryAfterSeconds: Int, asHTTPDate: Bool)
    /// 429 whose `Retry-After` is this text exactly (a huge number, garbage).
    case rateLimitedRaw(retryAfter: String)
    /// 200 with the JSON cut short.
    case truncatedBody
    /// 200 with a body that is not JSON at all.
    case malformedBody
    /// The connection is closed half-way through the body.
    case disconnect
    /// 200 with `{}`: a gateway that answers for a backend it could not reach.
    case emptyObject
    /// 200 with the usual envelope but `"data": null`.
    case nullData
    /// 200 with a JSON object that has neither `result` nor `data`: a proxy's own error page.
    case proxyErrorPage
    /// 200 with `{"result":"error","message":...}`.
    case errorResult
    /// 200 with a well-formed data page holding no record: every hour of the window looks empty.
    case emptyData
    /// 200 with `{"result":"success","data":[]}` and no `query` echo: a gateway's canned "empty"
    /// answer for a backend it could not reach.
    case noQueryEcho
    /// 200 with the page another asset's request would get (this code's, or else the next known
    /// asset's), its echo naming that asset: a cache in front serving the wrong key.
    case otherAsset(String?)
    /// 200 with the page of the same request this many hours earlier, its echo naming that window:
    /// a cache that keys on the path alone.
    case otherWindow(hoursEarlier: Int64)
    /// 200 with the page of the same request at another interval (in hours), echoed as such.
    case otherInterval(hours: Int64)
    /// The real answer, its body sent one byte every this many milliseconds.
    case slowBody(byteIntervalMilliseconds: Int)
    /// The real first page, then empty pages, each with a `next_url` (same origin) never seen
    /// before: a pagination that never ends.
    case endlessPagination
    /// The real answer with its `continuation_token` but no `next_url` (the client must call the
    /// endpoint with the token itself, as Kaiko's pagination page describes). Not a fault.
    case tokenWithoutNextURL

    /// The fault named as on the command line and in `POST /_fake/faults`: `empty-object`,
    /// `slow-body:2000`, `rate-limited:5`, `retry-after:99999999999`, `other-asset:eth`,
    /// `other-window:24`, `other-interval:1d`, ...
    public init?(name: String) {
        let parts = name.split(separator: ":", maxSplits: 1).map(String.init)
        let argument = parts.count > 1 ? parts[1] : nil
        switch parts.first ?? "" {
        case "server-error": self = .serverError(status: argument.flatMap(Int.init) ?? 500)
        case "bad-gateway": self = .badGateway
        case "rate-limited": self = .rateLimited(retryAfterSeconds: argument.flatMap(Int.init) ?? 1, asHTTPDate: false)
        case "retry-after": self = .rateLimitedRaw(retryAfter: argument ?? "")
        case "truncated-body": self = .truncatedBody
        case "malformed-body": self = .malformedBody
        case "disconnect": self = .disconnect
        case "empty-object": self = .emptyObject
        case "null-data": self = .nullData
        case "proxy-error-page": self = .proxyErrorPage
        case "error-result": self = .errorResult
        case "empty-data": self = .emptyData
        case "no-query-echo": self = .noQueryEcho
        case "other-asset": self = .otherAsset(argument)
        case "other-window":
            guard let hours = Int64(argument ?? "24"), hours > 0 else { return nil }
            self = .otherWindow(hoursEarlier: hours)
        case "other-interval":
            guard let hours = try? LiquidationQuery.parseInterval(argument ?? "1d"), hours != 1 else { return nil }
            self = .otherInterval(hours: hours)
        case "slow-body": self = .slowBody(byteIntervalMilliseconds: argument.flatMap(Int.init) ?? 1000)
        case "endless-pagination": self = .endlessPagination
        case "token-without-next-url": self = .tokenWithoutNextURL
        default: return nil
        }
    }
}

/// Decides, per request, whether to misbehave: first any scripted faults (for tests that need an
/// exact sequence), then the server-side rate limit, then the configured random rates.
final class FaultInjector: Sendable {
    private struct State {
        var scripted: [FakeFault] = []
        /// Answers every request not scripted, until changed (a gateway having a bad day).
        var persistent: FakeFault?
        /// Answers every request for one asset, until changed (one instrument broken upstream).
        var persistentByAsset: [String: FakeFault] = [:]
        var random: SplitMix64
        var tokens: Double
        var lastRefill: Double
    }

    private let configuration: FaultConfiguration
    private let state: Mutex<State>

    init(configuration: FaultConfiguration) {
        self.configuration = configuration
        let burst = max(1, configuration.rateLimitPerSecond ?? 1)
        self.state = Mutex(State(random: SplitMix64(seed: configuration.seed), tokens: burst, lastRefill: Date().timeIntervalSince1970))
    }

    func script(_ faults: [FakeFault]) {
        state.withLock { $0.scripted += faults }
    }

    func setPersistent(_ fault: FakeFault?) {
        state.withLock { $0.persistent = fault }
    }

    var persistent: FakeFault? { state.withLock { $0.persistent } }

    func setPersistent(_ fault: FakeFault?, forAsset asset: String) {
        state.withLock { $0.persistentByAsset[asset] = fault }
    }

    func nextFault(asset: String) -> FakeFault? {
        let now = Date().timeIntervalSince1970
        return state.withLock { state -> FakeFault? in
            if !state.scripted.isEmpty { return state.scripted.removeFirst() }
            if let persistent = state.persistentByAsset[asset] ?? state.persistent { return persistent }
            if let rate = configuration.rateLimitPerSecond {
                state.tokens = min(max(1, rate), state.tokens + (now - state.lastRefill) * rate)
                state.lastRefill = now
                if state.tokens < 1 {
                    return .rateLimited(retryAfterSeconds: configuration.retryAfterSeconds, asHTTPDate: false)
                }
                state.tokens -= 1
            }
            let roll = state.random.unit()
            var threshold = configuration.serverErrorRate
            if roll < threshold { return .serverError(status: state.random.next() % 2 == 0 ? 500 : 503) }
            threshold += configuration.badGatewayRate
            if roll < threshold { return .badGateway }
            threshold += configuration.malformedBodyRate
            if roll < threshold { return state.random.next() % 2 == 0 ? .truncatedBody : .malformedBody }
            threshold += configuration.disconnectRate
            if roll < threshold { return .disconnect }
            return nil
        }
    }
}
