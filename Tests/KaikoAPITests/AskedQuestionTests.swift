import LiquidationModel
import Testing

@testable import KaikoAPI

/// A page answers the request only if its `query` echo says so: the asset always, the interval
/// and the window where echoed.
@Suite("Asked question: a page proves it answers the request by its echo")
struct AskedQuestionTests {
    let question = AskedQuestion(
        asset: try! AssetCode(validating: "btc"),
        window: HourWindow(start: UTCHour(containing: 1_740_690_000), end: UTCHour(containing: 1_740_690_000).advanced(by: 3)))

    func reason(_ echo: WireQuery?) -> String? {
        do {
            try question.check(echo)
            return nil
        } catch {
            return error.reason
        }
    }

    @Test func anEchoNamingTheAskedAssetIntervalAndWindowIsAnAnswer() {
        #expect(reason(WireQuery(
            token: "btc", interval: "1h", queryStartTime: "2025-02-27T21:00:00Z", queryEndTime: "2025-02-28T00:00:00.000Z")) == nil)
        // Partial echoes: the asset is enough; the rest is checked where it is echoed.
        #expect(reason(WireQuery(token: "btc")) == nil)
        #expect(reason(WireQuery(token: "BTC", interval: "60m")) == nil)
        #expect(reason(WireQuery(token: "btc", queryStartTime: "2025-02-27T22:00:00+01:00")) == nil, "the same instant")
    }

    @Test(arguments: [
        (WireQuery?.none, #"no "query" echo, so nothing shows it answers btc [2025-02-27T21:00:00Z, 2025-02-28T00:00:00Z)"#),
        (WireQuery(), #"the "query" echo names no asset (no "token")"#),
        (WireQuery(interval: "1h"), #"the "query" echo names no asset (no "token")"#),
        (WireQuery(token: "eth"), #"the "query" echo names asset 'eth', not btc"#),
        (WireQuery(token: "btc", interval: "1d"), #"the "query" echo names interval '1d', not 1h"#),
        (WireQuery(token: "btc", interval: "hourly"), #"the "query" echo names interval 'hourly', not 1h"#),
        (WireQuery(token: "btc", queryStartTime: "2025-02-26T21:00:00Z"),
         #"the "query" echo's query_start_time is 2025-02-26T21:00:00Z, not 2025-02-27T21:00:00Z: a page of another window"#),
        (WireQuery(token: "btc", queryEndTime: "2025-02-28T01:00:00Z"),
         #"the "query" echo's query_end_time is 2025-02-28T01:00:00Z, not 2025-02-28T00:00:00Z: a page of another window"#),
        (WireQuery(token: "btc", queryStartTime: "yesterday"), #"the "query" echo's query_start_time 'yesterday' is not a time"#),
    ])
    func anEchoThatDoesNotNameTheQuestionIsRefused(echo: WireQuery?, expected: String) {
        #expect(reason(echo) == expected)
    }

    @Test func intervalLengthsAreReadInEveryUnitAndBounded() {
        #expect(AskedQuestion.seconds(ofInterval: "1h") == 3600)
        #expect(AskedQuestion.seconds(ofInterval: "3600s") == 3600)
        #expect(AskedQuestion.seconds(ofInterval: "1d") == 86_400)
        for text in ["", "h", "0h", "-1h", "1.5h", "99999999999999999999h", "1w"] {
            #expect(AskedQuestion.seconds(ofInterval: text) == nil, "\(text)")
        }
    }
}
