import AsyncHTTPClient
import Foundation
import KaikoAPI
import LiquidationModel
import Testing

/// Pages no honest API sends, served by a scripted server: each must be refused with an error
/// naming the asset, the window and the offending value; tolerated quirks must pass.
@Suite("KaikoClient: validation of crafted pages")
struct CraftedPageTests {
    let eth = try! AssetCode(validating: "eth")
    let window = HourWindow(start: UTCHour(containing: 1_740_690_000), end: UTCHour(containing: 1_740_690_000).advanced(by: 3))

    /// `2025-02-27T21:00:00Z`, the window's first hour, and the two after it.
    func record(
        time: String? = "2025-02-27T21:00:00Z", stamp: String? = "1740690000000000000", total: String = "40",
        long: String = "2", short: String = "38", totalAmount: String = "474520.3599480028",
        longAmount: String = "11062.85615080547", shortAmount: String = "463457.50379719737",
        exchanges: String? = #"[{"exchange":"bbit","total_trades":17,"total_amount":281481.78156436956,"long_trades":0,"long_amount":0,"short_trades":17,"short_amount":281481.78156436956}]"#
    ) -> String {
        var fields: [String] = []
        if let time { fields.append("\"interval_time\":\"\(time)\"") }
        if let stamp { fields.append("\"interval_timestamp\":\(stamp)") }
        fields += [
            "\"total_trades\":\(total)", "\"total_amount\":\(totalAmount)", "\"long_trades\":\(long)",
            "\"long_amount\":\(longAmount)", "\"short_trades\":\(short)", "\"short_amount\":\(shortAmount)",
        ]
        if let exchanges { fields.append("\"exchanges\":\(exchanges)") }
        return "{" + fields.joined(separator: ",") + "}"
    }

    /// A data page in the endpoint's own envelope (no `result`), its echo naming eth; `echo`
    /// replaces the echo, `general` adds Kaiko's general envelope.
    func page(_ records: [String], next: String? = nil, echo: String? = nil, general: Bool = false) -> String {
        var json = general ? #"{"result":"success","time":"2025-04-04T12:09:55.574Z","# : "{"
        json += #""query":"# + (echo ?? #"{"token":"eth","interval":"1h","data_version":"v1"}"#)
        json += #","data":["# + records.joined(separator: ",") + "]"
        if let next { json += ",\"next_url\":\"\(next)\"" }
        return json + "}"
    }

    func fetch(_ responses: [ScriptedServer.Canned]) async throws -> (FetchedWindow?, KaikoError?, ScriptedServer) {
        let server = ScriptedServer(responses)
        let port = try await server.start()
        defer { server.stop() }
        let configuration = KaikoConfiguration(
            endpoint: try KaikoEndpoint(baseURL: "http://127.0.0.1:\(port)"), apiKey: APIKey("secret-key-777"),
            maxRequestsPerSecond: nil, retry: RetryPolicy(maxAttempts: 2, baseDelay: .milliseconds(1)))
        let client = KaikoClient(configuration: configuration, httpClient: HTTPClient.shared)
        do {
            return (try await client.fetchWindow(asset: eth, window: window), nil, server)
        } catch let error as KaikoError {
            return (nil, error, server)
        }
    }

    func expectRefused(_ records: [String], _ expected: RecordProblem, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let (_, error, _) = try await fetch([.init(body: page(records))])
        guard case .invalidRecord(let asset, let refusedWindow, let problem) = error else {
            Issue.record("expected invalidRecord(\(expected)), got \(String(describing: error))", sourceLocation: sourceLocation)
            return
        }
        #expect(asset == eth && refusedWindow == window, sourceLocation: sourceLocation)
        #expect(problem == expected, sourceLocation: sourceLocation)
        #expect(error!.description.hasPrefix("invalid data for eth [2025-02-27T21:00:00Z, 2025-02-28T00:00:00Z): "), sourceLocation: sourceLocation)
    }

    @Test(arguments: [false, true])
    func theReferenceExampleRecordIsAcceptedExactly(general: Bool) async throws {
        let (fetched, error, server) = try await fetch([.init(body: page([record()], general: general))])
        #expect(error == nil)
        let record = try #require(fetched?.records.first)
        #expect(record.hour.description == "2025-02-27T21:00:00Z")
        #expect(record.totals.totalAmount.text == "474520.3599480028")
        #expect(record.totals.shortAmount.text == "463457.50379719737")
        #expect(record.exchanges.first?.figures.longAmount == .zero)
        #expect(record.exchanges.first?.figures.shortAmount.text == "281481.78156436956")
        #expect(fetched?.dataVersion == "v1")
        let request = try #require(server.received.first)
        #expect(request.apiKey == "secret-key-777")
        #expect(request.uri.contains("/v2/data/liquidation.v1/token/eth?interval=1h&page_size=1000&sort=asc"))
        #expect(request.uri.contains("start_time=2025-02-27T21:00:00Z&end_time=2025-02-28T00:00:00Z"))
        #expect(!request.uri.contains("secret-key-777"))
    }

    @Test func looseButHonestShapesAreTolerated() async throws {
        let records = [
            // Fractional seconds, timestamp in milliseconds, amounts as strings, no exchanges.
            record(time: "2025-02-27T21:00:00.000Z", stamp: "1740690000000", totalAmount: "\"474520.3599480028\"",
                   exchanges: nil),
            // Timestamp in seconds only, exchanges null, an unknown field.
            record(time: nil, stamp: "1740693600", exchanges: "null").replacingOccurrences(of: "{", with: "{\"new_field\":[1,2],", options: [], range: nil),
        ]
        let (fetched, error, _) = try await fetch([.init(body: page(records))])
        #expect(error == nil, "\(String(describing: error))")
        #expect(fetched?.records.count == 2)
        #expect(fetched?.records.first?.totals.totalAmount.text == "474520.3599480028")
        #expect(fetched?.records.allSatisfy { $0.exchanges.isEmpty } == true)
    }

    @Test func recordsThatBreakARuleAreRefused() async throws {
        let hour = UTCHour(containing: 1_740_690_000)
        try await expectRefused([record(time: "2025-02-27T21:30:00Z", stamp: nil)], .notHourAligned("2025-02-27T21:30:00Z"))
        try await expectRefused([record(time: "2025-02-27T20:00:00Z", stamp: nil)], .outsideWindow(hour.advanced(by: -1)))
        try await expectRefused([record(time: "2025-02-28T00:00:00Z", stamp: nil)], .outsideWindow(hour.advanced(by: 3)))
        try await expectRefused([record(), record()], .duplicateHour(hour))
        try await expectRefused([record(total: "-1", long: "-1", short: "0")], .negativeCount(hour, field: "total_trades", value: -1))
        try await expectRefused([record(long: "3")], .tradesDoNotAddUp(hour, exchange: nil, long: 3, short: 38, total: 40))
        try await expectRefused([record(longAmount: "-5.5")], .negativeAmount(hour, field: "long_amount", value: "-5.5"))
        try await expectRefused(
            [record(stamp: "1740693600000000000")],
            .timestampMismatch(intervalTime: "2025-02-27T21:00:00Z", intervalTimestamp: 1_740_693_600_000_000_000))
        let twice = #"[{"exchange":"bbit","total_trades":1,"total_amount":1,"long_trades":1,"long_amount":1,"short_trades":0,"short_amount":0},{"exchange":"bbit","total_trades":1,"total_amount":1,"long_trades":1,"long_amount":1,"short_trades":0,"short_amount":0}]"#
        try await expectRefused([record(exchanges: twice)], .duplicateExchange(hour, exchange: "bbit"))
        let badExchange = #"[{"exchange":"okex","total_trades":5,"total_amount":1,"long_trades":1,"long_amount":1,"short_trades":1,"short_amount":0}]"#
        try await expectRefused([record(exchanges: badExchange)], .tradesDoNotAddUp(hour, exchange: "okex", long: 1, short: 1, total: 5))
        try await expectRefused([record(time: "yesterday", stamp: nil)], .unreadableTime("yesterday"))
        try await expectRefused([record(time: nil, stamp: nil)], .missingTime)
    }

    /// A page that does not show it answers this request (a canned answer without an echo, a
    /// cache serving another asset's, window's or interval's page) is retried like a 5xx and
    /// never returned, even when its records would pass.
    @Test(arguments: [
        ("null", #"no "query" echo"#),
        (#"{"interval":"1h"}"#, #"names no asset"#),
        (#"{"token":"btc","interval":"1h"}"#, "names asset 'btc', not eth"),
        (#"{"token":"eth","interval":"1d"}"#, "names interval '1d', not 1h"),
        (#"{"token":"eth","query_start_time":"2025-02-26T21:00:00Z"}"#, "a page of another window"),
    ])
    func aPageThatAnswersAnotherQuestionIsRetriedAndNeverReturned(echo: String, reason: String) async throws {
        let body = page([record()], echo: echo, general: true)
        let (fetched, error, server) = try await fetch([.init(body: body), .init(body: body)])
        #expect(fetched?.records.count == nil, "nothing is returned")
        guard case .retriesExhausted(let asset, let failedWindow, 2, let last) = error else {
            Issue.record("expected retriesExhausted after 2 attempts, got \(String(describing: error))")
            return
        }
        #expect(asset == eth && failedWindow == window)
        #expect(last.contains("HTTP 200 from 127.0.0.1 is not an answer to this request ("), "\(last)")
        #expect(last.contains(reason), "\(last)")
        #expect(server.received.count == 2)
    }

    @Test func aFieldOfTheWrongTypeIsAMalformedPageNotARetry() async throws {
        let (_, error, server) = try await fetch([.init(body: page([record(total: "\"forty\"")]))])
        guard case .malformedResponse(let asset, _, let reason) = error else {
            Issue.record("expected malformedResponse, got \(String(describing: error))")
            return
        }
        #expect(asset == eth)
        #expect(reason.contains("total_trades"))
        #expect(server.received.count == 1)
    }

    @Test func nextURLOnAnotherHostIsNeverFollowed() async throws {
        for foreign in ["http://evil.example/v2/data/liquidation.v1/token/eth?continuation_token=x",
                        "https://127.0.0.1/v2/data/liquidation.v1/token/eth?continuation_token=x",
                        "http://127.0.0.1:1/v2/data/liquidation.v1/token/eth?continuation_token=x"] {
            let (_, error, server) = try await fetch([.init(body: page([record()], next: foreign))])
            guard case .foreignNextURL(let asset, _, _) = error else {
                Issue.record("expected foreignNextURL for \(foreign), got \(String(describing: error))")
                continue
            }
            #expect(asset == eth)
            #expect(server.received.count == 1, "the key went to the configured host only")
            #expect(!error!.description.contains("continuation_token"))
        }
    }

    @Test func aRepeatedContinuationIsALoop() async throws {
        let next = "{ORIGIN}/v2/data/liquidation.v1/token/eth?continuation_token=same"
        let (_, error, server) = try await fetch([.init(body: page([record()], next: next)), .init(body: page([], next: next))])
        guard case .paginationLoop(_, _, let pageNumber) = error else {
            Issue.record("expected paginationLoop, got \(String(describing: error))")
            return
        }
        #expect(pageNumber == 2)
        #expect(server.received.count == 2)
    }

    @Test func errorBodiesFromAProxyAreReportedWithoutGarbage() async throws {
        let html = ScriptedServer.Canned(status: .forbidden, body: "<html>nope</html>")
        let (_, error, _) = try await fetch([html])
        #expect(error?.description == "the API key has no access to 'eth' at 127.0.0.1 (403)")
    }
}
