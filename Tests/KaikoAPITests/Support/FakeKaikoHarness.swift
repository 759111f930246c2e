import AsyncHTTPClient
import FakeKaiko
import Foundation
import Hummingbird
import KaikoAPI
import LiquidationModel
import Logging
import TestSupport

/// FakeKaiko served in-process on a free port, and a client pointed at it.
struct FakeKaikoHarness: Sendable {
    let fake: FakeKaiko
    let port: Int
    private let serverTask: Task<Void, any Error>

    var baseURL: String { "http://127.0.0.1:\(port)" }

    static let apiKey = "test-key-0123456789abcdef"

    static func start(
        _ configuration: FakeKaikoConfiguration = FakeKaikoConfiguration(apiKey: apiKey),
        now: Date = Date(timeIntervalSince1970: 1_743_768_595)  // 2025-04-04T12:09:55Z, as in the reference
    ) async throws -> FakeKaikoHarness {
        let fake = FakeKaiko(configuration: configuration, clock: FakeClock(now: now, speed: 0))
        let (stream, continuation) = AsyncStream.makeStream(of: Int.self)
        var logger = Logger(label: "fake-kaiko")
        logger.logLevel = .critical
        let app = fake.makeApplication(logger: logger) { port in continuation.yield(port) }
        let task = Task { try await app.run() }
        var iterator = stream.makeAsyncIterator()
        guard let port = await iterator.next() else { throw CancellationError() }
        return FakeKaikoHarness(fake: fake, port: port, serverTask: task)
    }

    func stop() {
        serverTask.cancel()
    }

    /// Runs `body` with a client pointed at this stand-in, and shuts the client down after,
    /// whether `body` returns or throws.
    func withClient<T>(
        apiKey: String? = FakeKaikoHarness.apiKey,
        pageSize: Int = 1000,
        sort: PageOrder = .ascending,
        retry: RetryPolicy = RetryPolicy(maxAttempts: 8, baseDelay: .milliseconds(5), maxDelay: .milliseconds(50)),
        logger: Logger = Logger(label: "test.kaiko"),
        _ body: (KaikoClient) async throws -> T
    ) async throws -> T {
        var configuration = try client(apiKey: apiKey, pageSize: pageSize, retry: retry).configuration
        configuration.sort = sort
        let client = KaikoClient(configuration: configuration, logger: logger)
        do {
            let value = try await body(client)
            try await client.shutdown()
            return value
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    /// A client on the process-wide shared HTTP client, which needs no shutdown.
    func client(
        apiKey: String? = FakeKaikoHarness.apiKey,
        pageSize: Int = 1000,
        retry: RetryPolicy = RetryPolicy(maxAttempts: 8, baseDelay: .milliseconds(5), maxDelay: .milliseconds(50)),
        maxRequestsPerSecond: Double? = nil,
        logger: Logger = Logger(label: "test.kaiko")
    ) throws -> KaikoClient {
        let configuration = KaikoConfiguration(
            endpoint: try KaikoEndpoint(baseURL: baseURL), apiKey: apiKey.flatMap(APIKey.init), pageSize: pageSize,
            maxRequestsPerSecond: maxRequestsPerSecond, retry: retry)
        return KaikoClient(configuration: configuration, httpClient: HTTPClient.shared, logger: logger)
    }

    /// The final records of a window from the truth endpoint, decoded independently of the
    /// client under test.
    func truth(asset: String, window: HourWindow) async throws -> [TruthRecord] {
        let request = HTTPClientRequest(url: "\(baseURL)/_fake/truth/\(asset)?start_time=\(window.start)&end_time=\(window.end)")
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 64 * 1024 * 1024)
        return try TruthRecord.decode(Data(body.readableBytesView))
    }

    /// Moves the stand-in's clock.
    func setClock(_ date: Date) {
        fake.clock.set(date)
    }
}
