import FakeKaiko
import Foundation
import InMemoryLogging
import KaikoAPI
import LiquidationModel
import Logging
import Testing
import TestSupport

/// The client that would talk to Kaiko, pointed at FakeKaiko.
@Suite("KaikoClient against FakeKaiko")
struct KaikoClientAgainstFakeTests {
    let btc = try! AssetCode(validating: "btc")
    /// 1,200 hours ending well before the fake's clock: every hour final.
    let longWindow = HourWindow(
        start: UTCHour(containing: 1_738_368_000), end: UTCHour(containing: 1_738_368_000).advanced(by: 1200))

    /// In the endpoint's own envelope (no `result`) and in Kaiko's general one alike.
    @Test(arguments: [PageOrder.ascending, .descending], ResponseEnvelope.allCases)
    func multiPageWalkEqualsTheTruthExactly(sort: PageOrder, envelope: ResponseEnvelope) async throws {
        let harness = try await FakeKaikoHarness.start(FakeKaikoConfiguration(apiKey: FakeKaikoHarness.apiKey, envelope: envelope))
        defer { harness.stop() }
        try await harness.withClient(pageSize: 100, sort: sort) { client in
            let fetched = try await client.fetchWindow(asset: btc, window: longWindow)
            let truth = try await harness.truth(asset: "btc", window: longWindow)
            #expect(fetched.pages == (truth.count + 99) / 100)
            #expect(fetched.records.count == truth.count)
            #expect(truth.count > 800, "most hours have liquidations")
            try expectEqual(fetched.records, truth)
        }
    }

    @Test func walkWithEveryKindOfFaultStillEqualsTheTruth() async throws {
        let faults = FaultConfiguration(
            serverErrorRate: 0.15, badGatewayRate: 0.05, malformedBodyRate: 0.1, disconnectRate: 0.1, seed: 99)
        let harness = try await FakeKaikoHarness.start(FakeKaikoConfiguration(apiKey: FakeKaikoHarness.apiKey, faults: faults))
        defer { harness.stop() }
        let retry = RetryPolicy(maxAttempts: 20, baseDelay: .milliseconds(1), maxDelay: .milliseconds(20))
        try await harness.withClient(pageSize: 50, retry: retry) { client in
            let fetched = try await client.fetchWindow(asset: btc, window: longWindow)
            let truth = try await harness.truth(asset: "btc", window: longWindow)
            try expectEqual(fetched.records, truth)
            #expect(fetched.requests > fetched.pages, "faults were injected and retried")
            #expect(harness.fake.requestCounts.keys.contains { $0 >= 500 })
        }
    }

    @Test func eachFaultIsRecoveredFromInTurn() async throws {
        let harness = try await FakeKaikoHarness.start()
        defer { harness.stop() }
        harness.fake.script([
            .serverError(status: 500), .serverError(status: 503), .badGateway, .truncatedBody, .malformedBody, .disconnect,
            .rateLimited(retryAfterSeconds: 0, asHTTPDate: false),
        ])
        let logs = InMemoryLogHandler()
        try await harness.withClient(logger: Logger(label: "test") { _ in logs }) { client in
            let window = HourWindow(start: longWindow.start, end: longWindow.start.advanced(by: 48))
            let fetched = try await client.fetchWindow(asset: btc, window: window)
            try expectEqual(fetched.records, try await harness.truth(asset: "btc", window: window))
            #expect(fetched.requests == 8)
            let retries = logs.entries.filter { $0.level == .warning }
            #expect(retries.count == 7, "each retry is logged with its reason")
            #expect(retries.contains { "\($0.metadata["reason"] ?? "")".contains("HTTP 503") })
            #expect(retries.contains { "\($0.metadata["reason"] ?? "")".contains("unparseable JSON") })
            #expect(retries.contains { "\($0.metadata["reason"] ?? "")".contains("(429)") })
        }
    }

    @Test(arguments: [false, true])
    func retryAfterIsHonoured(asHTTPDate: Bool) async throws {
        let harness = try await FakeKaikoHarness.start()
        defer { harness.stop() }
        // An HTTP date has whole seconds, and the answer's time in transit (seconds, on a loaded
        // machine: up to six have been seen) counts against it: a date is sent further ahead.
        let seconds = asHTTPDate ? 15 : 2
        harness.fake.script([.rateLimited(retryAfterSeconds: seconds, asHTTPDate: asHTTPDate)])
        let logs = InMemoryLogHandler()
        try await harness.withClient(logger: Logger(label: "test") { _ in logs }) { client in
            let window = HourWindow(start: longWindow.start, end: longWindow.start.advanced(by: 5))
            let started = ContinuousClock.now
            let fetched = try await client.fetchWindow(asset: btc, window: window)
            let elapsed = started.duration(to: .now)
            #expect(fetched.requests == 2)
            // The wait the client chose is read from its log line rather than bounded by the wall
            // clock from above: a loaded CI machine stretches the wall clock, not the decision.
            let delays = logs.entries.filter { $0.level == .warning }.compactMap { Int("\($0.metadata["delay_ms"] ?? "")") }
            #expect(delays.count == 1)
            let delay = delays.first ?? 0
            // An HTTP date has whole seconds, and the answer's time in transit counts against it:
            // "6 s from now" may be only a few seconds away when the client reads it on a loaded
            // machine. Without the header, the test policy's backoff would be a few milliseconds.
            #expect((asHTTPDate ? 100...15000 : 2000...2000).contains(delay), "delay_ms=\(delay)")
            #expect(elapsed >= .milliseconds(delay), "\(elapsed) slept at least the chosen delay")
        }
    }

    @Test func aRateLimitSlowsTheWholeProcessDown() async throws {
        let harness = try await FakeKaikoHarness.start()
        defer { harness.stop() }
        // 20 s: the pause must outlast the test's look at it. Every suite starts at once on two
        // cores, and a CI run saw the look come more than 2 s after the 429 had been handled.
        harness.fake.script([.rateLimited(retryAfterSeconds: 20, asHTTPDate: false)])
        try await harness.withClient { client in
            let window = HourWindow(start: longWindow.start, end: longWindow.start.advanced(by: 5))
            // Timed from before the first request: its 429 pauses the client for 20 s from when it
            // arrives, which is later than this, so a delay in noticing it cannot eat into what is
            // measured. Without the shared pause, the second fetch would be done in a moment.
            let started = ContinuousClock.now
            let first = Task { try await client.fetchWindow(asset: btc, window: window) }
            // Once the first task has been told to slow down, a second, independent task waits too.
            // Bounds, not timings: while every suite starts at once on two cores, the first
            // request took over 10 s to reach the in-process stand-in.
            #expect(await eventually(timeout: .seconds(90)) { harness.fake.requestCounts[429] == 1 })
            #expect(await eventually(timeout: .seconds(90)) { await client.isHeldBackByRateLimit })
            _ = try await client.fetchWindow(asset: try AssetCode(validating: "eth"), window: window)
            #expect(started.duration(to: .now) >= .seconds(19))
            _ = try await first.value
        }
    }

    @Test func persistentServerErrorsAreReportedAfterTheRetryBudget() async throws {
        let faults = FaultConfiguration(serverErrorRate: 1)
        let harness = try await FakeKaikoHarness.start(FakeKaikoConfiguration(apiKey: FakeKaikoHarness.apiKey, faults: faults))
        defer { harness.stop() }
        try await harness.withClient(retry: RetryPolicy(maxAttempts: 4, baseDelay: .milliseconds(1), maxDelay: .milliseconds(5))) { client in
            let error = try await #require(throws: KaikoError.self) {
                try await client.fetchWindow(asset: btc, window: longWindow)
            }
            guard case .retriesExhausted(let asset, let window, let attempts, let last) = error else {
                Issue.record("expected retriesExhausted, got \(error)")
                return
            }
            #expect(asset == btc && window == longWindow && attempts == 4)
            #expect(last.contains("HTTP 50"))
            #expect(error.description.contains("btc [2025-02-01T00:00:00Z, "))
        }
    }

    @Test func rejectedKeyIsExplainedAndNeverShown() async throws {
        let harness = try await FakeKaikoHarness.start()
        defer { harness.stop() }
        let logs = InMemoryLogHandler()
        var logger = Logger(label: "test") { _ in logs }
        logger.logLevel = .trace
        let wrongKey = "wrong-key-do-not-print-4242"
        try await harness.withClient(apiKey: wrongKey, logger: logger) { client in
            let error = try await #require(throws: KaikoError.self) {
                try await client.fetchWindow(asset: btc, window: longWindow)
            }
            #expect(error.description == "API key rejected by 127.0.0.1 (401): Unauthorized: missing or invalid API key")
            #expect(harness.fake.totalRequests == 1, "a 401 is not retried")
            #expect(!String(reflecting: error).contains(wrongKey))
            #expect(!logs.entries.contains { "\($0.message) \($0.metadata)".contains(wrongKey) })
            #expect(!"\(client.configuration.apiKey!)".contains(wrongKey))
        }
    }

    @Test func unknownAssetIs404WithTheAPIsMessage() async throws {
        let harness = try await FakeKaikoHarness.start()
        defer { harness.stop() }
        try await harness.withClient { client in
            let error = try await #require(throws: KaikoError.self) {
                try await client.fetchWindow(asset: try AssetCode(validating: "xyz"), window: longWindow)
            }
            #expect(error.description == "unknown asset 'xyz' (404): Unknown token: xyz")
        }
    }

    @Test func invalidParametersAre400WithTheAPIsMessage() async throws {
        let harness = try await FakeKaikoHarness.start()
        defer { harness.stop() }
        try await harness.withClient(pageSize: 5000) { client in
            let error = try await #require(throws: KaikoError.self) {
                try await client.fetchWindow(asset: btc, window: longWindow)
            }
            #expect(error.description.contains("(400): Invalid page_size"))
        }
    }

    @Test func provisionalHoursAreRevisedToTheirFinalFigures() async throws {
        let configuration = FakeKaikoConfiguration(apiKey: FakeKaikoHarness.apiKey, revisionHours: 6)
        let harness = try await FakeKaikoHarness.start(configuration)
        defer { harness.stop() }
        // The fake clock reads 12:09:55: the 12:00 hour is still running, the six before it
        // were published (5 min after their end) but stay provisional for 6 hours.
        let current = UTCHour(containing: 1_743_768_595)
        let window = HourWindow(start: current.advanced(by: -24), end: current.advanced(by: 1))
        let provisionalFrom = current.advanced(by: -6)
        let client = try harness.client()
        let early = try await client.fetchWindow(asset: btc, window: window)
        let truth = try await harness.truth(asset: "btc", window: window)
        let earlyHours = early.records.map(\.hour)
        #expect(!earlyHours.contains(current), "an hour is not published before it ends")
        let provisional = early.records.filter { record in record.hour >= provisionalFrom }
        let settled = early.records.filter { record in record.hour < provisionalFrom }
        #expect(provisional.count + settled.count == early.records.count)
        #expect(!provisional.isEmpty)
        #expect(throws: Mismatch.self) {
            try expectEqualOrThrow(
                provisional, truth.filter { record in truthHour(of: record) >= provisionalFrom && truthHour(of: record) < current })
        }
        try expectEqual(settled, truth.filter { record in truthHour(of: record) < provisionalFrom })

        // Now and then a revision drops a whole hour: provisional liquidations, none when final.
        let longRevisions = try await FakeKaikoHarness.start(FakeKaikoConfiguration(apiKey: FakeKaikoHarness.apiKey, revisionHours: 96))
        defer { longRevisions.stop() }
        let provisionalWindow = HourWindow(start: current.advanced(by: -96), end: current)
        let provisionalHours = try await longRevisions.client().fetchWindow(asset: btc, window: provisionalWindow).records.map(\.hour)
        let finalHours = Set(try await longRevisions.truth(asset: "btc", window: provisionalWindow).map(truthHour(of:)))
        #expect(provisionalHours.contains { !finalHours.contains($0) }, "an hour that will vanish")

        // Eight hours later every hour of the window is final and equals the truth.
        harness.setClock(Date(timeIntervalSince1970: Double(current.advanced(by: 8).secondsSinceEpoch)))
        let late = try await client.fetchWindow(asset: btc, window: window)
        try expectEqual(late.records, truth)
    }

    @Test func someHoursAreRevisedSeveralTimesBeforeTheirFinalFigures() async throws {
        let harness = try await FakeKaikoHarness.start(
            FakeKaikoConfiguration(apiKey: FakeKaikoHarness.apiKey, revisionHours: 12, revisionStages: 4))
        defer { harness.stop() }
        // Twenty hours, each read every hour from its publication to two hours past its final
        // figures: the versions each went through.
        let first = UTCHour(containing: 1_743_768_000).advanced(by: -40)
        let window = HourWindow(start: first, end: first.advanced(by: 20))
        let client = try harness.client()
        var versions: [UTCHour: [String]] = [:]
        for step in 0..<35 {
            let now = first.advanced(by: 1 + step).secondsSinceEpoch + 600
            harness.setClock(Date(timeIntervalSince1970: Double(now)))
            let page = try await client.fetchWindow(asset: btc, window: window)
            let seen = Dictionary(page.records.map { record in (record.hour, "\(record.totals)\(record.exchanges)") },
                                  uniquingKeysWith: { first, _ in first })
            for hour in window.hours where hour.advanced(by: 1).secondsSinceEpoch + 300 <= now {
                let answer = seen[hour] ?? "no liquidations"
                if versions[hour]?.last != answer { versions[hour, default: []].append(answer) }
            }
        }
        let revisions = versions.values.map { $0.count - 1 }
        #expect(revisions.allSatisfy { $0 <= 4 }, "at most four provisional versions, then the final one")
        #expect(revisions.contains { $0 >= 3 }, "some hours revised three times or more: \(revisions)")
        #expect(revisions.contains { $0 <= 1 }, "others once or never: \(revisions)")
        // Then the final figures, the truth's.
        let truth = try await harness.truth(asset: "btc", window: window)
        try expectEqual(try await client.fetchWindow(asset: btc, window: window).records, truth)
    }
}

// MARK: - Comparing with the truth

func truthHour(of record: TruthRecord) -> UTCHour { record.hour }

struct Mismatch: Error, CustomStringConvertible {
    let description: String
}

/// Throws at the first difference between the client's records and the truth.
func expectEqualOrThrow(_ records: [IntervalRecord], _ truth: [TruthRecord]) throws {
    guard records.count == truth.count else { throw Mismatch(description: "\(records.count) records, truth has \(truth.count)") }
    for (record, expected) in zip(records, truth) {
        guard record.hour == truthHour(of: expected) else { throw Mismatch(description: "hour \(record.hour) vs \(expected.interval_time)") }
        try compare(record.totals, expected.figures, "\(record.hour) totals")
        guard record.exchanges.map(\.exchange) == expected.exchanges.map(\.exchange) else {
            throw Mismatch(description: "\(record.hour) exchanges \(record.exchanges.map(\.exchange)) vs \(expected.exchanges.map(\.exchange))")
        }
        for (exchange, expectedExchange) in zip(record.exchanges, expected.exchanges) {
            try compare(exchange.figures, expectedExchange.figures, "\(record.hour) \(exchange.exchange)")
        }
    }
}

func expectEqual(_ records: [IntervalRecord], _ truth: [TruthRecord], sourceLocation: SourceLocation = #_sourceLocation) throws {
    do {
        try expectEqualOrThrow(records, truth)
    } catch {
        Issue.record("\(error)", sourceLocation: sourceLocation)
    }
}

private func compare(_ figures: LiquidationFigures, _ expected: TruthRecord.Figures, _ context: String) throws {
    func amount(_ value: DecimalAmount) -> Decimal { Decimal(string: value.text, locale: Locale(identifier: "en_US_POSIX"))! }
    let same = figures.totalTrades == expected.total_trades && figures.longTrades == expected.long_trades
        && figures.shortTrades == expected.short_trades && amount(figures.totalAmount) == expected.total_amount
        && amount(figures.longAmount) == expected.long_amount && amount(figures.shortAmount) == expected.short_amount
    guard same else { throw Mismatch(description: "\(context): \(figures) vs \(expected)") }
}
