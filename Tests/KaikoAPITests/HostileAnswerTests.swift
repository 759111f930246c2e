import AsyncHTTPClient
import FakeKaiko
import Foundation
import InMemoryLogging
import KaikoAPI
import LiquidationModel
import Logging
import Testing

/// Answers a misbehaving gateway (or Kaiko on a bad day) sends, served by FakeKaiko's fault
/// modes: none of them may pass for data, none may hold a request for long, none may make the
/// client wait longer than it allows.
@Suite("KaikoClient: answers that are not data")
struct HostileAnswerTests {
    let btc = try! AssetCode(validating: "btc")
    /// 48 final hours, one page.
    let window = HourWindow(start: UTCHour(containing: 1_738_368_000), end: UTCHour(containing: 1_738_368_000).advanced(by: 48))

    func client(
        _ harness: FakeKaikoHarness, maxAttempts: Int = 3, requestTimeout: Duration = .seconds(30), pageSize: Int = 1000,
        retry: RetryPolicy? = nil, logger: Logger = Logger(label: "test.kaiko")
    ) throws -> KaikoClient {
        let configuration = KaikoConfiguration(
            endpoint: try KaikoEndpoint(baseURL: harness.baseURL), apiKey: APIKey(FakeKaikoHarness.apiKey),
            pageSize: pageSize, maxRequestsPerSecond: nil,
            retry: retry ?? RetryPolicy(maxAttempts: maxAttempts, baseDelay: .milliseconds(1), maxDelay: .milliseconds(5)),
            requestTimeout: requestTimeout)
        return KaikoClient(configuration: configuration, httpClient: HTTPClient.shared, logger: logger)
    }

    @Test(arguments: [
        (FakeFault.emptyObject, "{}"),
        (FakeFault.nullData, #"{"query":{"request_time""#),
        (FakeFault.proxyErrorPage, "upstream request timeout"),
        (FakeFault.errorResult, "Internal error"),
    ])
    func aNonDataAnswerIsRetriedThenFailsNamingAssetWindowStatusAndBody(fault: FakeFault, excerpt: String) async throws {
        let harness = try await FakeKaikoHarness.start()
        defer { harness.stop() }
        harness.fake.setPersistentFault(fault)
        let client = try client(harness, maxAttempts: 3)
        let error = try await #require(throws: KaikoError.self) { try await client.fetchWindow(asset: btc, window: window) }
        guard case .retriesExhausted(let asset, let failedWindow, let attempts, let last) = error else {
            Issue.record("expected retriesExhausted, got \(error)")
            return
        }
        #expect(asset == btc && failedWindow == window && attempts == 3)
        #expect(harness.fake.totalRequests == 3, "retried like a 5xx")
        #expect(last.contains("HTTP 200 from 127.0.0.1 is not a data page"), "\(last)")
        #expect(last.contains(excerpt), "a short excerpt of the body: \(last)")
        #expect(error.description.contains("btc [2025-02-01T00:00:00Z, 2025-02-03T00:00:00Z)"))
        #expect(!error.description.contains(FakeKaikoHarness.apiKey))
    }

    /// Pages with a `data` array that do not answer this request: retried like a 5xx, then the
    /// window fails, in either envelope (the general one's `result: success` proves nothing).
    @Test(arguments: ResponseEnvelope.allCases.flatMap { envelope in
        [
            (FakeFault.noQueryEcho, #"no "query" echo"#, envelope),
            (FakeFault.otherAsset("eth"), "names asset 'eth', not btc", envelope),
            (FakeFault.otherWindow(hoursEarlier: 24), "query_start_time is 2025-01-31T00:00:00Z, not 2025-02-01T00:00:00Z", envelope),
            (FakeFault.otherInterval(hours: 24), "names interval '1d', not 1h", envelope),
        ]
    })
    func anAnswerToAnotherQuestionIsRetriedThenFails(fault: FakeFault, reason: String, envelope: ResponseEnvelope) async throws {
        let harness = try await FakeKaikoHarness.start(FakeKaikoConfiguration(apiKey: FakeKaikoHarness.apiKey, envelope: envelope))
        defer { harness.stop() }
        harness.fake.setPersistentFault(fault)
        let client = try client(harness, maxAttempts: 3)
        let error = try await #require(throws: KaikoError.self) { try await client.fetchWindow(asset: btc, window: window) }
        guard case .retriesExhausted(let asset, let failedWindow, 3, let last) = error else {
            Issue.record("expected retriesExhausted after 3 attempts, got \(error)")
            return
        }
        #expect(asset == btc && failedWindow == window)
        #expect(harness.fake.totalRequests == 3, "retried like a 5xx")
        #expect(last.contains("HTTP 200 from 127.0.0.1 is not an answer to this request ("), "\(last)")
        #expect(last.contains(reason), "\(last)")
    }

    @Test(arguments: ResponseEnvelope.allCases)
    func anAnswerToAnotherQuestionFollowedByTheRightOneIsRecoveredFrom(envelope: ResponseEnvelope) async throws {
        let harness = try await FakeKaikoHarness.start(FakeKaikoConfiguration(apiKey: FakeKaikoHarness.apiKey, envelope: envelope))
        defer { harness.stop() }
        harness.fake.script([.noQueryEcho, .otherAsset("eth"), .otherWindow(hoursEarlier: 1), .otherInterval(hours: 24)])
        let fetched = try await client(harness, maxAttempts: 5).fetchWindow(asset: btc, window: window)
        try expectEqual(fetched.records, try await harness.truth(asset: "btc", window: window))
        #expect(fetched.requests == 5)
    }

    @Test func aNonDataAnswerFollowedByDataIsRecoveredFrom() async throws {
        let harness = try await FakeKaikoHarness.start()
        defer { harness.stop() }
        harness.fake.script([.emptyObject, .nullData, .proxyErrorPage])
        let fetched = try await client(harness, maxAttempts: 4).fetchWindow(asset: btc, window: window)
        try expectEqual(fetched.records, try await harness.truth(asset: "btc", window: window))
        #expect(fetched.requests == 4)
    }

    @Test func anEmptyButWellFormedPageIsData() async throws {
        // Proving the shape is all the client can do; whether emptiness may replace stored hours
        // is the store's decision (its vanishing guard).
        let harness = try await FakeKaikoHarness.start()
        defer { harness.stop() }
        harness.fake.setPersistentFault(.emptyData)
        let fetched = try await client(harness).fetchWindow(asset: btc, window: window)
        #expect(fetched.records.isEmpty && fetched.requests == 1)
    }

    @Test func aContinuationTokenWithoutNextURLIsFollowed() async throws {
        let harness = try await FakeKaikoHarness.start()
        defer { harness.stop() }
        harness.fake.setPersistentFault(.tokenWithoutNextURL)
        let long = HourWindow(start: window.start, end: window.start.advanced(by: 500))
        let fetched = try await client(harness, pageSize: 100).fetchWindow(asset: btc, window: long)
        let truth = try await harness.truth(asset: "btc", window: long)
        try expectEqual(fetched.records, truth)
        #expect(fetched.pages == (truth.count + 99) / 100 && fetched.pages > 2)
    }

    @Test func aPaginationThatNeverEndsIsCutAtTheWindowsPageCap() async throws {
        let harness = try await FakeKaikoHarness.start()
        defer { harness.stop() }
        harness.fake.setPersistentFault(.endlessPagination)
        let error = try await #require(throws: KaikoError.self) {
            try await client(harness).fetchWindow(asset: btc, window: window)
        }
        guard case .tooManyPages(let asset, let failedWindow, let pages) = error else {
            Issue.record("expected tooManyPages, got \(error)")
            return
        }
        #expect(asset == btc && failedWindow == window)
        #expect(pages == window.hourCount + 1 && harness.fake.totalRequests == pages)
    }

    @Test func aBodyThatTricklesInIsCutAtTheRequestDeadline() async throws {
        let harness = try await FakeKaikoHarness.start()
        defer { harness.stop() }
        // A byte every 200 ms: each read is quick, so only a deadline on the whole exchange helps.
        harness.fake.setPersistentFault(.slowBody(byteIntervalMilliseconds: 200))
        let client = try client(harness, maxAttempts: 2, requestTimeout: .seconds(1))
        let started = ContinuousClock.now
        let error = try await #require(throws: KaikoError.self) { try await client.fetchWindow(asset: btc, window: window) }
        let elapsed = started.duration(to: .now)
        guard case .retriesExhausted(_, _, let attempts, let last) = error else {
            Issue.record("expected retriesExhausted, got \(error)")
            return
        }
        #expect(attempts == 2)
        #expect(last.contains("no complete answer within 1 s"), "\(last)")
        // Two attempts of one second each (2 s alone, 20 s seen on a loaded CI machine); without
        // the deadline the body, a byte every 200 ms, would take minutes.
        #expect(elapsed < .seconds(60), "\(elapsed)")
    }

    @Test(arguments: ["99999999999999999999999999", "9223372036854775807", "Fri, 31 Dec 9999 23:59:59 GMT"])
    func aRetryAfterBeyondTheCapFailsAtOnceWithoutPausingTheProcess(header: String) async throws {
        let harness = try await FakeKaikoHarness.start()
        defer { harness.stop() }
        harness.fake.script([.rateLimitedRaw(retryAfter: header)])
        let client = try client(harness, maxAttempts: 5)
        let started = ContinuousClock.now
        let error = try await #require(throws: KaikoError.self) { try await client.fetchWindow(asset: btc, window: window) }
        // Not the day asked for, nor the 120 s cap: alone it takes well under a second, and a full
        // suite on a loaded 2-core machine made it take 22 s.
        #expect(started.duration(to: .now) < .seconds(60))
        guard case .retriesExhausted(_, _, let attempts, let last) = error else {
            Issue.record("expected retriesExhausted, got \(error)")
            return
        }
        #expect(attempts == 1)
        #expect(last.contains("Retry-After asks for 86400 s, more than the 120 s liqsync waits"), "\(last)")
        #expect(await !client.isHeldBackByRateLimit, "the other assets are not paused for it")
    }

    @Test func aRetryAfterPastTheRetryBudgetFailsBeforeWaiting() async throws {
        let harness = try await FakeKaikoHarness.start()
        defer { harness.stop() }
        harness.fake.script([.rateLimited(retryAfterSeconds: 100, asHTTPDate: false)])
        let policy = RetryPolicy(maxAttempts: 5, baseDelay: .milliseconds(1), totalBudget: .seconds(10))
        let client = try client(harness, retry: policy)
        let started = ContinuousClock.now
        let error = try await #require(throws: KaikoError.self) { try await client.fetchWindow(asset: btc, window: window) }
        // Not the 100 s asked for (within the 120 s cap, past the 10 s budget): alone it takes well
        // under a second, and a full suite on a loaded 2-core machine made it take 22 s.
        #expect(started.duration(to: .now) < .seconds(60))
        guard case .retriesExhausted(_, _, 1, let last) = error else {
            Issue.record("expected retriesExhausted after one attempt, got \(error)")
            return
        }
        #expect(last.contains("(429)"))
        #expect(await !client.isHeldBackByRateLimit)
    }
}
