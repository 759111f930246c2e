import Foundation
import LiquidationModel
import NIOCore
import Synchronization
import Testing

@testable import KaikoAPI

/// The client's parts on their own, without a server: the classification of answers, the retry
/// decision, and the client over a scripted transport.
@Suite("KaikoClient in parts: classification, retry decision, transport")
struct ClientPartsTests {
    let eth = try! AssetCode(validating: "eth")
    let window = HourWindow(start: UTCHour(containing: 1_740_690_000), end: UTCHour(containing: 1_740_690_000).advanced(by: 3))
    let classifier = ResponseClassifier(host: "api.test", apiKey: "secret-key-1")

    func answer(_ status: Int, _ body: String, retryAfter: String? = nil) -> HTTPAnswer {
        HTTPAnswer(status: status, retryAfter: retryAfter, body: ByteBuffer(string: body))
    }

    func kind(_ outcome: AttemptOutcome) -> String {
        switch outcome {
        case .success: "success"
        case .retry(let reason, _, let rateLimited, let slowDown):
            (rateLimited ? "rate-limited: " : slowDown ? "slow-down: " : "retry: ") + reason + (slowDown && rateLimited ? " (slow down)" : "")
        case .fail(let error): "fail: \(error)"
        }
    }

    @Test func answersAreClassifiedByStatusThenByWhatTheBodyProves() {
        let page = #"{"query":{"token":"eth"},"data":[]}"#
        #expect(kind(classifier.classify(answer(200, page), asset: eth, window: window)) == "success")
        #expect(kind(classifier.classify(answer(200, #"{"query":{"token":"btc"},"data":[]}"#), asset: eth, window: window))
            == "retry: HTTP 200 from api.test is not an answer to this request (the \"query\" echo names asset 'btc', not eth)")
        #expect(kind(classifier.classify(answer(200, "{}"), asset: eth, window: window)).hasPrefix(
            "retry: HTTP 200 from api.test is not a data page (no \"data\" array): {}"))
        #expect(kind(classifier.classify(answer(200, #"{"query":{"token":"eth"},"data":[{"total_trades":"x"}]}"#), asset: eth, window: window))
            .hasPrefix("fail: malformed response for eth"))
        #expect(kind(classifier.classify(answer(429, "", retryAfter: "3"), asset: eth, window: window))
            == "rate-limited: rate limited by api.test (429) (slow down)", "a 429 asks for fewer requests at once")
        #expect(kind(classifier.classify(answer(503, #"{"message":"maintenance secret-key-1"}"#), asset: eth, window: window))
            == "retry: HTTP 503 from api.test: {\"message\":\"maintenance ****\"}", "the key is masked")
        #expect(kind(classifier.classify(answer(404, #"{"result":"error","message":"Unknown token"}"#), asset: eth, window: window))
            == "fail: unknown asset 'eth' (404): Unknown token")
        #expect(kind(classifier.classify(answer(401, "<html/>"), asset: eth, window: window)) == "fail: API key rejected by api.test (401)")
        #expect(kind(classifier.classify(noAnswer: DeadlineExceeded(limit: .seconds(2)), deadline: .seconds(2)))
            == "slow-down: no complete answer within 2 s from api.test (deadline for the whole request, body included)",
            "so does a request past its deadline; a 503 or a wrong answer does not")
    }

    @Test func theRetryDecisionHonoursTheCapTheAttemptsAndTheBudget() {
        let policy = RetryPolicy(maxAttempts: 3, baseDelay: .seconds(1), totalBudget: .seconds(60), maxRetryAfter: .seconds(10))
        func decide(_ attempt: Int, elapsed: Duration = .zero, retryAfter: Duration? = nil, rateLimited: Bool = false) -> RetryDecision {
            RetryDecision.after(
                attempt: attempt, elapsed: elapsed, reason: "HTTP 503", retryAfter: retryAfter, rateLimited: rateLimited,
                policy: policy, randomFraction: 1)
        }
        #expect(decide(1) == .wait(delay: .seconds(1), pauseEveryone: false))
        #expect(decide(2, retryAfter: .seconds(5), rateLimited: true) == .wait(delay: .seconds(5), pauseEveryone: true))
        #expect(decide(3) == .giveUp(lastFailure: "HTTP 503"), "the attempts are used up")
        #expect(decide(1, elapsed: .seconds(59.5)) == .giveUp(lastFailure: "HTTP 503"), "the wait would pass the budget")
        #expect(decide(1, retryAfter: .seconds(11)) == .giveUp(
            lastFailure: "HTTP 503; Retry-After asks for 11 s, more than the 10 s liqsync waits (--max-retry-after)"))
    }

    /// Answers in order from a script; records what was asked.
    final class ScriptedTransport: HTTPTransport {
        let answers: Mutex<[Result<HTTPAnswer, any Error>]>
        let asked = Mutex<[(url: String, headers: [(String, String)])]>([])

        init(_ answers: [Result<HTTPAnswer, any Error>]) { self.answers = Mutex(answers) }

        func get(_ url: String, headers: [(String, String)], deadline: Duration, maxBodyBytes: Int) async throws -> HTTPAnswer {
            asked.withLock { $0.append((url, headers)) }
            return try answers.withLock { $0.removeFirst() }.get()
        }
    }

    @Test func theClientOverAScriptedTransportRetriesPaginatesAndSendsTheKeyToTheAPIOnly() async throws {
        struct Reset: Error {}
        let record = #"{"interval_time":"2025-02-27T21:00:00Z","total_trades":1,"total_amount":2,"long_trades":1,"long_amount":2,"short_trades":0,"short_amount":0}"#
        let transport = ScriptedTransport([
            .failure(Reset()),
            .success(answer(502, "<html>bad gateway</html>")),
            .success(answer(200, #"{"query":{"token":"eth"},"data":[\#(record)],"continuation_token":"t 1"}"#)),
            .success(answer(200, #"{"query":{"token":"eth"},"data":[]}"#)),
        ])
        let configuration = KaikoConfiguration(
            endpoint: try KaikoEndpoint(baseURL: "https://api.test"), apiKey: APIKey("secret-key-1"), maxRequestsPerSecond: nil,
            retry: RetryPolicy(maxAttempts: 3, baseDelay: .milliseconds(1)))
        let client = KaikoClient(configuration: configuration, transport: transport)
        let fetched = try await client.fetchWindow(asset: eth, window: window)
        #expect(fetched.records.map(\.hour) == [window.start] && fetched.pages == 2 && fetched.requests == 4)
        let asked = transport.asked.withLock { $0 }
        #expect(asked.count == 4)
        #expect(asked[0].url == "https://api.test/v2/data/liquidation.v1/token/eth?interval=1h&page_size=1000&sort=asc&start_time=2025-02-27T21:00:00Z&end_time=2025-02-28T00:00:00Z")
        #expect(asked[3].url == "https://api.test/v2/data/liquidation.v1/token/eth?continuation_token=t%201")
        #expect(asked.allSatisfy { $0.headers.contains { $0 == ("X-Api-Key", "secret-key-1") } })
    }
}
