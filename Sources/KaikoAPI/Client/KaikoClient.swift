import AsyncHTTPClient
import FoundationEssentials
import LiquidationModel
import Logging
import NIOCore
import NIOFoundationEssentialsCompat
import Synchronization

/// The client for Kaiko's token-level liquidation volumes endpoint: transport
/// (`HTTPTransport`), URLs (`PageURLs`), pagination (`LiquidationPages`), the retry decision
/// (`RetryDecision`) and the classification of answers (`ResponseClassifier`), glued.
///
/// The same code talks to the real API and to FakeKaiko; only `KaikoEndpoint` differs. One
/// instance is meant to be shared by every task of the process, so its request budget is too
/// (and, given a shared budget, by every process using the same database).
public final class KaikoClient: Sendable {
    public let configuration: KaikoConfiguration
    let transport: any HTTPTransport
    private let ownedHTTPClient: HTTPClient?
    let budget: any RequestBudget
    let logger: Logger
    /// A fraction in 0...1 for backoff jitter; injectable so tests are deterministic.
    let randomFraction: @Sendable () -> Double
    private let inFlight = Atomic<Int>(0)

    public static let path = PageURLs.path
    /// Connections to the API at most: --concurrency (up to 64) assets, each with its prefetched chunks.
    public static let maxConnections = 256

    public init(
        configuration: KaikoConfiguration,
        httpClient: HTTPClient? = nil,
        transport: (any HTTPTransport)? = nil,
        logger: Logger = Logger(label: "liqsync.kaiko"),
        budget: (any RequestBudget)? = nil,
        randomFraction: @escaping @Sendable () -> Double = { Double.random(in: 0...1) }
    ) {
        self.configuration = configuration
        if let transport {
            self.transport = transport
            self.ownedHTTPClient = nil
        } else if let httpClient {
            self.transport = AsyncHTTPTransport(client: httpClient)
            self.ownedHTTPClient = nil
        } else {
            var http = HTTPClient.Configuration(egress: configuration.egress, to: configuration.endpoint)
            // Redirects would carry the X-Api-Key header to wherever they point: never follow.
            http.redirectConfiguration = .disallow
            http.decompression = .enabled(limit: .ratio(200))
            http.timeout = .init(connect: .seconds(10), read: .init(configuration.requestTimeout))
            // AsyncHTTPClient opens at most 8 HTTP/1.1 connections to a host by default, which
            // capped requests in flight at 8 whatever --concurrency and --prefetch asked for. What
            // is in flight is bounded by them (and paced by the budget), so allow as many.
            http.connectionPool.idleTimeout = .seconds(60)
            http.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = Self.maxConnections
            let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: http)
            self.transport = AsyncHTTPTransport(client: client)
            self.ownedHTTPClient = client
        }
        self.budget = budget ?? RequestRateLimiter(requestsPerSecond: configuration.maxRequestsPerSecond)
        self.logger = logger
        self.randomFraction = randomFraction
    }

    /// Releases the HTTP client's connections (when this client created it).
    public func shutdown() async throws {
        try await ownedHTTPClient?.shutdown()
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
            fetched.slowDowns += page.slowDowns
            fetched.dataVersion = fetched.dataVersion ?? page.dataVersion
        }
        fetched.records.sort { $0.hour < $1.hour }
        return fetched
    }

    var urls: PageURLs {
        PageURLs(endpoint: configuration.endpoint, pageSize: configuration.pageSize, sort: configuration.sort)
    }

    private var classifier: ResponseClassifier {
        ResponseClassifier(
            host: configuration.endpoint.host, apiKey: configuration.apiKey?.revealedForRequestHeader,
            proxy: configuration.egress.proxy(for: configuration.endpoint)?.description)
    }

    // MARK: - One page, with retries

    struct PageResponse {
        let wire: WireResponse
        let attempts: Int
        /// Attempts answered with a 429 or not within the deadline.
        let slowDowns: Int
    }

    /// Requests of this client waiting for Kaiko's answer now.
    public var requestsInFlight: Int { inFlight.load(ordering: .relaxed) }

    func fetchPage(url: String, asset: AssetCode, window: HourWindow, page: Int) async throws -> PageResponse {
        let started = ContinuousClock.now
        var attempt = 0
        var slowDowns = 0
        while true {
            attempt += 1
            try await budget.acquire()
            switch try await attemptOnce(url: url, asset: asset, window: window) {
            case .success(let wire):
                return PageResponse(wire: wire, attempts: attempt, slowDowns: slowDowns)
            case .fail(let error):
                throw error
            case .retry(let reason, let retryAfter, let rateLimited, let slowDown):
                if slowDown { slowDowns += 1 }
                let decision = RetryDecision.after(
                    attempt: attempt, elapsed: started.duration(to: .now), reason: reason, retryAfter: retryAfter,
                    rateLimited: rateLimited, policy: configuration.retry, randomFraction: randomFraction())
                switch decision {
                case .giveUp(let lastFailure):
                    throw KaikoError.retriesExhausted(asset: asset, window: window, attempts: attempt, lastFailure: lastFailure)
                case .wait(let delay, let pauseEveryone):
                    if pauseEveryone { await budget.pause(for: delay) }
                    KaikoMetrics.retries.increment()
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
    }

    /// One request, classified; counted by status.
    private func attemptOnce(url: String, asset: AssetCode, window: HourWindow) async throws -> AttemptOutcome {
        var headers = [("Accept", "application/json"), ("Accept-Encoding", "gzip"), ("User-Agent", "liqsync")]
        if let apiKey = configuration.apiKey { headers.append(("X-Api-Key", apiKey.revealedForRequestHeader)) }
        let answer: HTTPAnswer
        let sent = ContinuousClock.now
        KaikoMetrics.requestsInFlight.record(Double(inFlight.add(1, ordering: .relaxed).newValue))
        defer { KaikoMetrics.requestsInFlight.record(Double(inFlight.subtract(1, ordering: .relaxed).newValue)) }
        do {
            answer = try await transport.get(
                url, headers: headers, deadline: configuration.requestTimeout, maxBodyBytes: configuration.maxBodyBytes)
            logger.debug(
                "Kaiko answered", metadata: [
                    "asset": "\(asset)", "window": "\(window)", "status": "\(answer.status)",
                    "ms": "\(sent.duration(to: .now).wholeMilliseconds)",
                ])
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            try Task.checkCancellation()
            KaikoMetrics.requests.increment(by: 1, [("status", error is DeadlineExceeded ? "timeout" : "network_error")])
            return classifier.classify(noAnswer: error, deadline: configuration.requestTimeout)
        }
        KaikoMetrics.requests.increment(by: 1, [("status", String(answer.status))])
        return classifier.classify(answer, asset: asset, window: window)
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
    /// Of those, the ones answered with a 429 or not within the deadline: the API asking for
    /// fewer requests at once.
    public var slowDowns = 0
    /// The `query.data_version` the API reported.
    public var dataVersion: String?

    public init(asset: AssetCode, window: HourWindow) {
        self.asset = asset
        self.window = window
    }
}
