import AsyncHTTPClient
import CoreMetrics
import FoundationEssentials
import LiquidationModel
import Logging
import NIOCore
import NIOFoundationEssentialsCompat

/// The client for Kaiko's token-level liquidation volumes endpoint.
///
/// The same code talks to the real API and to FakeKaiko; only `KaikoEndpoint` differs. One
/// instance is meant to be shared by every task of the process, so its request budget is too
/// (and, given a shared budget, by every process using the same database).
public final class KaikoClient: Sendable {
    public let configuration: KaikoConfiguration
    let httpClient: HTTPClient
    private let ownsHTTPClient: Bool
    let budget: any RequestBudget
    let logger: Logger
    /// A fraction in 0...1 for backoff jitter; injectable so tests are deterministic.
    let randomFraction: @Sendable () -> Double

    public static let path = "/v2/data/liquidation.v1/token/"
    /// Connections to the API at most: --concurrency (up to 64) assets, each with its prefetched chunks.
    public static let maxConnections = 256

    public init(
        configuration: KaikoConfiguration,
        httpClient: HTTPClient? = nil,
        logger: Logger = Logger(label: "liqsync.kaiko"),
        budget: (any RequestBudget)? = nil,
        randomFraction: @escaping @Sendable () -> Double = { Double.random(in: 0...1) }
    ) {
        self.configuration = configuration
        if let httpClient {
            self.httpClient = httpClient
            self.ownsHTTPClient = false
        } else {
            var http = HTTPClient.Configuration()
            // Redirects would carry the X-Api-Key header to wherever they point: never follow.
            http.redirectConfiguration = .disallow
            http.decompression = .enabled(limit: .ratio(200))
            http.timeout = .init(connect: .seconds(10), read: .init(configuration.requestTimeout))
            // AsyncHTTPClient opens at most 8 HTTP/1.1 connections to a host by default, which
            // capped requests in flight at 8 whatever --concurrency and --prefetch asked for. What
            // is in flight is bounded by them (and paced by the budget), so allow as many.
            http.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: Self.maxConnections)
            self.httpClient = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: http)
            self.ownsHTTPClient = true
        }
        self.budget = budget ?? RequestRateLimiter(requestsPerSecond: configuration.maxRequestsPerSecond)
        self.logger = logger
        self.randomFraction = randomFraction
    }

    /// Releases the HTTP client's connections (when this client created it).
    public func shutdown() async throws {
        if ownsHTTPClient { try await httpClient.shutdown() }
    }

    /// Whether the API told us to slow down and every request is waiting for it.
    public var isHeldBackByRateLimit: Bool {
        get async { await budget.isPaused }
    }

    /// The pages of `asset`'s hourly records in `window`, oldest first, each validated.
    public func pages(asset: AssetCode, window: HourWindow) -> LiquidationPages {
        LiquidationPages(client: self, asset: asset, window: window)
    }

    /// Every record of `window`, validated, sorted by hour, with what it took to get them.
    public func fetchWindow(asset: AssetCode, window: HourWindow) async throws -> FetchedWindow {
        var fetched = FetchedWindow(asset: asset, window: window)
        for try await page in pages(asset: asset, window: window) {
            fetched.records += page.records
            fetched.pages += 1
            fetched.requests += page.requests
            fetched.dataVersion = fetched.dataVersion ?? page.dataVersion
        }
        fetched.records.sort { $0.hour < $1.hour }
        return fetched
    }

    /// The first page's URL: every documented parameter, explicit.
    func firstPageURL(asset: AssetCode, window: HourWindow) -> String {
        let endpoint = configuration.endpoint
        return endpoint.origin + endpoint.basePath + Self.path + asset.rawValue
            + "?interval=1h&page_size=\(configuration.pageSize)&sort=\(configuration.sort.rawValue)"
            + "&start_time=\(window.start)&end_time=\(window.end)"
    }

    /// The endpoint called with a continuation token alone, for an answer that carries the
    /// token without a `next_url` ("calling the endpoint again with it returns the next page").
    func continuationURL(asset: AssetCode, token: String) -> String {
        let endpoint = configuration.endpoint
        return endpoint.origin + endpoint.basePath + Self.path + asset.rawValue + "?continuation_token="
            + Self.percentEncoded(token)
    }

    /// `text` as a query value: every byte but RFC 3986's unreserved characters percent-encoded.
    static func percentEncoded(_ text: String) -> String {
        let hexDigits = Array("0123456789ABCDEF".utf8)
        var encoded: [UInt8] = []
        encoded.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                 UInt8(ascii: "~"):
                encoded.append(byte)
            default:
                encoded += [UInt8(ascii: "%"), hexDigits[Int(byte >> 4)], hexDigits[Int(byte & 0x0F)]]
            }
        }
        return String(decoding: encoded, as: UTF8.self)
    }

    // MARK: - One page, with retries

    struct PageResponse {
        let wire: WireResponse
        let attempts: Int
    }

    private enum AttemptOutcome {
        case success(WireResponse)
        case retry(reason: String, retryAfter: Duration?, rateLimited: Bool)
        case fail(KaikoError)
    }

    func fetchPage(url: String, asset: AssetCode, window: HourWindow, page: Int) async throws -> PageResponse {
        let policy = configuration.retry
        let started = ContinuousClock.now
        var attempt = 0
        while true {
            attempt += 1
            try await budget.acquire()
            let outcome: AttemptOutcome
            do {
                outcome = try await send(url: url, asset: asset, window: window)
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                try Task.checkCancellation()
                Counter(label: "liqsync_api_requests_total", dimensions: [("status", "network_error")]).increment()
                outcome = .retry(reason: Self.describeTransportError(error), retryAfter: nil, rateLimited: false)
            }
            switch outcome {
            case .success(let wire):
                return PageResponse(wire: wire, attempts: attempt)
            case .fail(let error):
                throw error
            case .retry(let reason, let retryAfter, let rateLimited):
                // The budget is consulted before anything waits, and a server asking for more
                // than the cap is not obeyed for that long: the window fails now, and is tried
                // again on a later pass.
                if let retryAfter, retryAfter > policy.maxRetryAfter {
                    throw KaikoError.retriesExhausted(
                        asset: asset, window: window, attempts: attempt,
                        lastFailure: "\(reason); Retry-After asks for \(retryAfter.formattedSeconds), more than the "
                            + "\(policy.maxRetryAfter.formattedSeconds) liqsync waits (--max-retry-after)")
                }
                let delay = policy.delay(afterAttempt: attempt, randomFraction: randomFraction(), retryAfter: retryAfter)
                let elapsed = started.duration(to: .now)
                guard policy.allowsRetry(afterAttempt: attempt, elapsed: elapsed, delay: delay) else {
                    throw KaikoError.retriesExhausted(asset: asset, window: window, attempts: attempt, lastFailure: reason)
                }
                if rateLimited { await budget.pause(for: delay) }
                Counter(label: "liqsync_api_retries_total").increment()
                logger.warning(
                    "retrying Kaiko request",
                    metadata: [
                        "asset": "\(asset)", "window": "\(window)", "page": "\(page)", "attempt": "\(attempt)",
                        "reason": "\(reason)", "delay_ms": "\(delay.wholeMilliseconds)",
                    ])
                try await Task.sleep(for: delay)
            }
        }
    }

    /// What came back for one request: everything the decision needs, read in full.
    private struct Answer: Sendable {
        let status: Int
        let retryAfter: String?
        let body: ByteBuffer
    }

    private func send(url: String, asset: AssetCode, window: HourWindow) async throws -> AttemptOutcome {
        var request = HTTPClientRequest(url: url)
        request.method = .GET
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "Accept-Encoding", value: "gzip")
        request.headers.add(name: "User-Agent", value: "liqsync")
        if let apiKey = configuration.apiKey {
            request.headers.add(name: "X-Api-Key", value: apiKey.revealedForRequestHeader)
        }
        let answer: Answer
        do {
            // One deadline for the whole exchange, body included.
            answer = try await withDeadline(configuration.requestTimeout) { [httpClient, configuration, request] in
                let response = try await httpClient.execute(request, timeout: .init(configuration.requestTimeout))
                let body = try await response.body.collect(upTo: configuration.maxBodyBytes)
                return Answer(
                    status: Int(response.status.code), retryAfter: response.headers.first(name: "Retry-After"), body: body)
            }
        } catch let error as DeadlineExceeded {
            Counter(label: "liqsync_api_requests_total", dimensions: [("status", "timeout")]).increment()
            return .retry(
                reason: "\(error) from \(configuration.endpoint.host) (deadline for the whole request, body included)",
                retryAfter: nil, rateLimited: false)
        }
        let status = answer.status
        let body = answer.body
        Counter(label: "liqsync_api_requests_total", dimensions: [("status", String(status))]).increment()
        let retryAfter = RetryAfter.parse(answer.retryAfter)
        let host = configuration.endpoint.host
        switch status {
        case 200:
            return decode(body, asset: asset, window: window)
        case 429:
            return .retry(reason: "rate limited by \(host) (429)", retryAfter: retryAfter, rateLimited: true)
        case 408, 500...599:
            return .retry(reason: "HTTP \(status) from \(host): \(excerpt(body))", retryAfter: retryAfter, rateLimited: false)
        case 400:
            return .fail(.badRequest(asset: asset, window: window, message: Self.apiMessage(body)))
        case 401:
            return .fail(.unauthorized(host: host, message: Self.apiMessage(body)))
        case 403:
            return .fail(.forbidden(host: host, asset: asset, message: Self.apiMessage(body)))
        case 404:
            return .fail(.unknownAsset(asset, message: Self.apiMessage(body)))
        default:
            return .fail(.unexpectedStatus(status, host: host, asset: asset, message: Self.apiMessage(body)))
        }
    }

    /// A 200 changes stored hours only when it proves it is a data page that answers the request
    /// sent; anything else is a failed request, retried like a 5xx.
    private func decode(_ body: ByteBuffer, asset: AssetCode, window: HourWindow) -> AttemptOutcome {
        let host = configuration.endpoint.host
        do {
            let wire = try body.withUnsafeReadableBytes { try WireResponse.parse($0) }
            try AskedQuestion(asset: asset, window: window).check(wire.query)
            return .success(wire)
        } catch let error as JSONSyntaxError {
            // Unparseable JSON is what a truncated transfer (or a proxy's HTML page) looks like.
            return .retry(
                reason: "HTTP 200 from \(host) with an unparseable JSON body (\(body.readableBytes) bytes: \(error)): "
                    + excerpt(body),
                retryAfter: nil, rateLimited: false)
        } catch let error as NotADataPage {
            return .retry(reason: "HTTP 200 from \(host) is \(error): \(excerpt(body))", retryAfter: nil, rateLimited: false)
        } catch let error as NotAnAnswer {
            // A cache serving another request's page may serve the right one on a later attempt.
            return .retry(reason: "HTTP 200 from \(host) is \(error)", retryAfter: nil, rateLimited: false)
        } catch let error as WireShapeError {
            // A data page whose records have the wrong shape will not get better by asking again.
            return .fail(.malformedResponse(asset: asset, window: window, reason: error.summary))
        } catch {
            return .retry(reason: "unreadable body: \(error)", retryAfter: nil, rateLimited: false)
        }
    }

    /// The start of a body, for a message; the API key masked should a gateway echo it.
    private func excerpt(_ body: ByteBuffer) -> String {
        body.withUnsafeReadableBytes { BodyExcerpt.of($0, masking: configuration.apiKey?.revealedForRequestHeader) }
    }

    /// The `message` of a JSON error body; nil for anything else (a proxy's HTML page).
    private static func apiMessage(_ body: ByteBuffer) -> String? {
        guard let error = body.withUnsafeReadableBytes({ WireError.parse($0) }) else { return nil }
        return error.message.map { String($0.prefix(500)) }
    }

    private static func describeTransportError(_ error: any Error) -> String {
        let text = String(describing: error)
        return text.count > 200 ? String(text.prefix(200)) + "…" : text
    }
}

/// Everything a window's pages returned.
public struct FetchedWindow: Sendable {
    public let asset: AssetCode
    public let window: HourWindow
    /// Validated records, sorted by hour. Hours without liquidations are usually absent.
    public var records: [IntervalRecord] = []
    public var pages = 0
    /// HTTP requests sent, retries included.
    public var requests = 0
    /// The `query.data_version` the API reported.
    public var dataVersion: String?

    public init(asset: AssetCode, window: HourWindow) {
        self.asset = asset
        self.window = window
    }
}
