import AsyncHTTPClient
import FakeKaiko
import Foundation
import NIOCore
import Testing

/// FakeKaiko's own answers, checked against the reference page: every later test trusts it.
@Suite("FakeKaiko behaves like the reference")
struct FakeKaikoBehaviourTests {
    struct Answer {
        let status: Int
        let text: String
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:] }
        var data: [[String: Any]] { json["data"] as? [[String: Any]] ?? [] }
    }

    func get(_ harness: FakeKaikoHarness, _ pathAndQuery: String, key: String? = FakeKaikoHarness.apiKey) async throws -> Answer {
        let url = pathAndQuery.hasPrefix("http") ? pathAndQuery : harness.baseURL + pathAndQuery
        var request = HTTPClientRequest(url: url)
        if let key { request.headers.add(name: "X-Api-Key", value: key) }
        request.headers.add(name: "Accept", value: "application/json")
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 64 * 1024 * 1024)
        return Answer(status: Int(response.status.code), text: String(buffer: body))
    }

    static let exampleQuery =
        "/v2/data/liquidation.v1/token/eth?interval=1h&start_time=2025-01-31T09:00:01Z&end_time=2025-02-27T23:59:59Z&page_size=2"

    @Test func theReferenceRequestGetsTheReferenceShape() async throws {
        let harness = try await FakeKaikoHarness.start()
        defer { harness.stop() }
        let answer = try await get(harness, Self.exampleQuery)
        #expect(answer.status == 200)
        let json = answer.json
        #expect(Set(json.keys) == ["query", "answer_time", "answer_timestamp", "access", "data", "continuation_token", "next_url"],
                "the example's members exactly: no result")
        let query = try #require(json["query"] as? [String: Any])
        #expect(Set(query.keys) == [
            "request_time", "query_start_time", "query_end_time", "data_start_time", "data_end_time", "start_time",
            "start_timestamp", "end_time", "end_timestamp", "page_size", "sort", "token", "interval", "commodity",
            "data_version",
        ])
        #expect(query["query_start_time"] as? String == "2025-01-31T09:00:01Z")
        #expect(query["data_start_time"] as? String == "2025-01-31T09:00:00Z", "start rounded down to the interval")
        #expect(query["data_end_time"] as? String == "2025-02-28T00:00:00Z")
        #expect(query["sort"] as? String == "desc", "desc is the default")
        #expect(query["page_size"] as? Int == 2 && query["token"] as? String == "eth" && query["interval"] as? String == "1h")
        #expect(query["commodity"] as? String == "liquidationEvents" && query["data_version"] as? String == "v1")
        let access = try #require(json["access"] as? [String: Any])
        #expect(Set(access.keys) == ["access_range", "data_range"])

        let data = answer.data
        #expect(data.count == 2)
        let first = try #require(data.first)
        #expect(Set(first.keys) == [
            "interval_time", "interval_timestamp", "total_trades", "total_amount", "long_trades", "long_amount",
            "short_trades", "short_amount", "exchanges",
        ])
        let times = data.compactMap { $0["interval_time"] as? String }
        #expect(times.first! > times.last!, "newest first")
        #expect(times.first! <= "2025-02-27T23:00:00Z")
        // Nanoseconds, as in the example (documented as milliseconds).
        #expect(answer.text.contains("\"interval_timestamp\":\(1_740_697_200)000000000") == (times.first == "2025-02-27T23:00:00Z"))
        let exchange = try #require((first["exchanges"] as? [[String: Any]])?.first)
        #expect(Set(exchange.keys) == ["exchange", "total_trades", "total_amount", "long_trades", "long_amount", "short_trades", "short_amount"])

        // next_url carries only the token, on the host the client asked.
        let nextURL = try #require(json["next_url"] as? String)
        let token = try #require(json["continuation_token"] as? String)
        #expect(nextURL == "\(harness.baseURL)/v2/data/liquidation.v1/token/eth?continuation_token=\(token)")
        let next = try await get(harness, nextURL)
        let nextTimes = next.data.compactMap { $0["interval_time"] as? String }
        #expect(nextTimes.count == 2 && nextTimes.first! < times.last!, "the walk continues backwards")
    }

    @Test func theGeneralEnvelopeAddsResultTimeAndTimestamp() async throws {
        let harness = try await FakeKaikoHarness.start(FakeKaikoConfiguration(apiKey: FakeKaikoHarness.apiKey, envelope: .general))
        defer { harness.stop() }
        let json = try await get(harness, Self.exampleQuery).json
        #expect(Set(json.keys) == [
            "query", "answer_time", "answer_timestamp", "access", "data", "continuation_token", "next_url", "result", "time",
            "timestamp",
        ])
        #expect(json["result"] as? String == "success")
        #expect(json["time"] as? String == "2025-04-04T12:09:55.000Z" && json["timestamp"] as? Int == 1_743_768_595_000)
    }

    /// A gateway's canned answer and a cache serving the wrong key: JSON with a data array whose
    /// echo (if any) names another request.
    @Test func answersToAnotherQuestionEchoTheOtherQuestion() async throws {
        let harness = try await FakeKaikoHarness.start()
        defer { harness.stop() }
        let path = "/v2/data/liquidation.v1/token/btc?start_time=2025-02-10T00:00:00Z&end_time=2025-02-12T00:00:00Z&sort=asc"
        let honest = try await get(harness, path)
        let eth = try await get(harness, path.replacingOccurrences(of: "/btc?", with: "/eth?"))
        func echo(_ answer: Answer) -> [String: Any] { answer.json["query"] as? [String: Any] ?? [:] }

        harness.fake.script([.noQueryEcho, .otherAsset("eth"), .otherAsset(nil), .otherWindow(hoursEarlier: 24), .otherInterval(hours: 24)])
        let canned = try await get(harness, path)
        #expect(canned.status == 200 && canned.json["query"] == nil && canned.json["data"] as? [Any] != nil)
        let swapped = try await get(harness, path)
        #expect(echo(swapped)["token"] as? String == "eth")
        #expect(swapped.data.map { $0["total_amount"] as? Double } == eth.data.map { $0["total_amount"] as? Double })
        #expect(swapped.data.map { $0["total_amount"] as? Double } != honest.data.map { $0["total_amount"] as? Double })
        let other = try await get(harness, path)
        #expect(echo(other)["token"] as? String == "doge", "the next known asset after btc, by name")
        let earlier = try await get(harness, path)
        #expect(echo(earlier)["token"] as? String == "btc" && echo(earlier)["query_start_time"] as? String == "2025-02-09T00:00:00Z")
        #expect(earlier.data.first?["interval_time"] as? String == "2025-02-09T00:00:00Z")
        let daily = try await get(harness, path)
        #expect(echo(daily)["interval"] as? String == "1d" && daily.data.count == 2)

        for name in ["no-query-echo", "other-asset", "other-asset:eth", "other-window", "other-window:3", "other-interval", "other-interval:6h"] {
            #expect(FakeFault(name: name) != nil, "\(name)")
        }
        for name in ["other-window:0", "other-window:x", "other-interval:1h", "other-interval:2w"] {
            #expect(FakeFault(name: name) == nil, "\(name)")
        }
    }

    @Test func zeroAmountsAreIntegersAndAmountsKeepTheirDigits() async throws {
        let harness = try await FakeKaikoHarness.start()
        defer { harness.stop() }
        let answer = try await get(
            harness, "/v2/data/liquidation.v1/token/btc?start_time=2025-02-01T00:00:00Z&end_time=2025-03-01T00:00:00Z&page_size=1000")
        #expect(answer.text.contains("_amount\":0,") || answer.text.contains("_amount\":0}"))
        #expect(!answer.text.contains("_amount\":0.0"))
        #expect(answer.text.range(of: #"_amount":\d+\.\d{8,}"#, options: .regularExpression) != nil, "floats with many digits")
        #expect(answer.data.count > 400 && answer.data.count < 672, "hours without liquidations are omitted")
        #expect(answer.json["next_url"] == nil && answer.json["continuation_token"] == nil, "no next_url on the last page")
        // Totals are the sums over exchanges.
        for record in answer.data {
            let exchanges = record["exchanges"] as? [[String: Any]] ?? []
            let sum = exchanges.reduce(0) { $0 + ($1["total_trades"] as? Int ?? 0) }
            #expect(sum == record["total_trades"] as? Int)
            #expect((1...10).contains(exchanges.count))
        }
    }

    @Test func defaultsLimitsAndErrors() async throws {
        let harness = try await FakeKaikoHarness.start()
        defer { harness.stop() }
        let month = "start_time=2025-02-01T00:00:00Z&end_time=2025-03-01T00:00:00Z"
        let byDefault = try await get(harness, "/v2/data/liquidation.v1/token/btc?\(month)")
        #expect(byDefault.data.count == 100 && byDefault.json["next_url"] != nil, "page_size defaults to 100")
        let most = try await get(harness, "/v2/data/liquidation.v1/token/btc?\(month)&page_size=1000")
        #expect(most.status == 200)
        let cases: [(String, String?, Int, String)] = [
            ("/v2/data/liquidation.v1/token/btc?page_size=1001", FakeKaikoHarness.apiKey, 400, "page_size"),
            ("/v2/data/liquidation.v1/token/btc?page_size=0", FakeKaikoHarness.apiKey, 400, "page_size"),
            ("/v2/data/liquidation.v1/token/btc?sort=up", FakeKaikoHarness.apiKey, 400, "sort"),
            ("/v2/data/liquidation.v1/token/btc?interval=90m", FakeKaikoHarness.apiKey, 400, "interval"),
            ("/v2/data/liquidation.v1/token/btc?interval=25h", FakeKaikoHarness.apiKey, 400, "interval"),
            ("/v2/data/liquidation.v1/token/btc?start_time=soon", FakeKaikoHarness.apiKey, 400, "start_time"),
            ("/v2/data/liquidation.v1/token/btc?start_time=2025-03-01T00:00:00Z&end_time=2025-02-01T00:00:00Z", FakeKaikoHarness.apiKey, 400, "range"),
            ("/v2/data/liquidation.v1/token/btc?continuation_token=garbage", FakeKaikoHarness.apiKey, 400, "continuation_token"),
            ("/v2/data/liquidation.v1/token/btc", nil, 401, "API key"),
            ("/v2/data/liquidation.v1/token/btc", "wrong", 401, "API key"),
            ("/v2/data/liquidation.v1/token/nosuchcoin", FakeKaikoHarness.apiKey, 404, "nosuchcoin"),
        ]
        for (path, key, status, mention) in cases {
            let answer = try await get(harness, path, key: key)
            #expect(answer.status == status, "\(path)")
            #expect(answer.json["result"] as? String == "error", "\(path): \(answer.text)")
            #expect((answer.json["message"] as? String)?.contains(mention) == true, "\(path): \(answer.text)")
        }
    }

    @Test func longerIntervalsAreSumsOfAlignedHours() async throws {
        let harness = try await FakeKaikoHarness.start()
        defer { harness.stop() }
        let range = "start_time=2025-02-10T00:00:00Z&end_time=2025-02-12T00:00:00Z&sort=asc&page_size=1000"
        let hourly = try await get(harness, "/v2/data/liquidation.v1/token/eth?interval=1h&\(range)").data
        for interval in ["3h", "1d"] {
            let buckets = try await get(harness, "/v2/data/liquidation.v1/token/eth?interval=\(interval)&\(range)").data
            let width = interval == "3h" ? 3 : 24
            #expect(buckets.count == 48 / width)
            for bucket in buckets {
                let start = try #require(bucket["interval_time"] as? String)
                let startHour = Int(start.dropFirst(11).prefix(2))! + (start.hasPrefix("2025-02-11") ? 24 : 0)
                #expect(startHour % width == 0, "aligned: \(start)")
                let inside = hourly.filter { record in
                    let time = record["interval_time"] as! String
                    let hour = Int(time.dropFirst(11).prefix(2))! + (time.hasPrefix("2025-02-11") ? 24 : 0)
                    return hour >= startHour && hour < startHour + width
                }
                let trades = inside.reduce(0) { $0 + ($1["total_trades"] as! Int) }
                #expect(bucket["total_trades"] as? Int == trades, "\(interval) bucket \(start)")
            }
        }
    }

    @Test func anHourIsPublishedOnlyAfterItsDelay() async throws {
        let harness = try await FakeKaikoHarness.start()
        defer { harness.stop() }
        // btc at 2025-02-27T23:00 has data (checked below); it ends at 2025-02-28T00:00.
        let query = "/v2/data/liquidation.v1/token/btc?start_time=2025-02-27T23:00:00Z&end_time=2025-02-28T00:00:00Z"
        harness.setClock(Date(timeIntervalSince1970: 1_740_700_800 + 299))  // 4:59 after the end
        #expect(try await get(harness, query).data.isEmpty)
        harness.setClock(Date(timeIntervalSince1970: 1_740_700_800 + 300))
        let published = try await get(harness, query).data
        #expect(published.count == 1)
    }

    /// With the clock frozen a page is served again from memory (the benchmark's warm API):
    /// the same bytes, while faults, a moved clock and other requests still get their own answer.
    @Test func aFrozenClockServesAPageAgainAsTheSameBytesAndFaultsStillComeThrough() async throws {
        let harness = try await FakeKaikoHarness.start()
        defer { harness.stop() }
        let path = "/v2/data/liquidation.v1/token/btc?start_time=2025-02-01T00:00:00Z&end_time=2025-02-03T00:00:00Z"
        let first = try await get(harness, path)
        #expect(first.status == 200 && first.data.count > 10)
        harness.fake.script([.serverError(status: 503), .emptyObject])
        #expect(try await get(harness, path).status == 503)
        #expect(try await get(harness, path).text == "{}")
        #expect(try await get(harness, path).text == first.text)
        harness.setClock(Date(timeIntervalSince1970: 1_743_768_595 + 3600))
        let later = try await get(harness, path)
        #expect(later.status == 200 && later.text != first.text, "a new request_time")
        #expect(try await get(harness, path + "&page_size=5").data.count == 5)
    }

    @Test func theSameSeedGivesTheSameData() async throws {
        let one = try await FakeKaikoHarness.start()
        let two = try await FakeKaikoHarness.start()
        let other = try await FakeKaikoHarness.start(FakeKaikoConfiguration(apiKey: FakeKaikoHarness.apiKey, seed: 43))
        defer { one.stop(); two.stop(); other.stop() }
        let path = "/v2/data/liquidation.v1/token/sol?start_time=2025-02-01T00:00:00Z&end_time=2025-02-03T00:00:00Z"
        func dataText(_ answer: Answer) -> Substring {
            answer.text[answer.text.range(of: "\"data\":")!.lowerBound...]
        }
        let first = dataText(try await get(one, path))
        let second = dataText(try await get(two, path))
        let third = dataText(try await get(other, path))
        #expect(first.count > 1000)
        #expect(first == second, "same seed, same bytes")
        #expect(first != third, "another seed, other data")
    }
}
