import Foundation
import Testing

@testable import KaikoAPI

@Suite("Wire decoding: Kaiko's JSON, amounts kept digit for digit")
struct WireDecodingTests {
    func parse(_ text: String) throws -> WireResponse {
        try Array(text.utf8).withUnsafeBytes { try WireResponse.parse($0) }
    }

    func figures(_ amount: String, trades: String = "1") -> String {
        """
        "total_trades":\(trades),"total_amount":\(amount),"long_trades":\(trades),"long_amount":\(amount),\
        "short_trades":0,"short_amount":0
        """
    }

    @Test func amountsKeepEveryDigitBeyondWhatDecimalHolds() throws {
        let long = "123456789012345678901234567890123456789012.123456789012345678901"
        let wire = try parse(#"{"result":"success","data":[{"interval_time":"2025-01-08T00:00:00Z",\#(figures(long)),"exchanges":[]}]}"#)
        let record = try #require(wire.data.first)
        #expect(record.figures.totalAmount.text == long)
        #expect(record.figures.shortAmount.text == "0")
        #expect(try parse(#"{"result":"success","data":[{\#(figures("1.5e-7"))}]}"#).data.first?.figures.longAmount.text == "1.5e-7")
    }

    /// The endpoint's own response example has no `result`; Kaiko's general envelope has one.
    /// Both are data pages, and the echo is read in full either way.
    @Test(arguments: ["", #""result":"success","time":"2025-04-04T12:09:55.574Z","timestamp":1743768595574,"#])
    func theEndpointsExampleEnvelopeAndTheGeneralOneAreBothDataPages(general: String) throws {
        let wire = try parse(
            #"{\#(general)"query":{"request_time":"2025-04-04T12:09:55.546Z","query_start_time":"2025-01-31T09:00:01Z","#
                + #""query_end_time":"2025-02-27T23:59:59Z","start_time":"2025-02-27T22:00:00Z","start_timestamp":1740693600000,"#
                + #""page_size":2,"sort":"desc","token":"eth","interval":"1h","commodity":"liquidationEvents","data_version":"v1"},"#
                + #""answer_time":"2025-04-04T12:09:55.574Z","answer_timestamp":1743768595574,"access":{"access_range":"#
                + #"{"start_timestamp":1688428800000,"end_timestamp":2177539199000},"data_range":{"start_timestamp":null,"#
                + #""end_timestamp":null}},"data":[{"interval_time":"2025-02-27T23:00:00Z",\#(figures("1"))}],"#
                + #""continuation_token":"4AQ","next_url":"https://us.market-api.kaiko.io/v2/x?continuation_token=4AQ"}"#)
        #expect(wire.data.count == 1)
        let query = try #require(wire.query)
        #expect(query.token == "eth" && query.interval == "1h" && query.dataVersion == "v1")
        #expect(query.queryStartTime == "2025-01-31T09:00:01Z" && query.queryEndTime == "2025-02-27T23:59:59Z")
        #expect(wire.continuationToken == "4AQ")
    }

    @Test func anEchoOfTheWrongShapeIsAMalformedPage() throws {
        #expect(throws: WireShapeError.self) { try parse(#"{"query":"btc","data":[]}"#) }
        #expect(throws: WireShapeError.self) { try parse(#"{"query":{"token":7},"data":[]}"#) }
        #expect(try parse(#"{"query":null,"data":[]}"#).query == nil, "null: no echo")
    }

    @Test func countsAndAmountsMayComeAsStrings() throws {
        let wire = try parse(#"{"result":"success","data":[{\#(figures("\"474520.3599480028\"", trades: "\"12\""))}]}"#)
        let figures = try #require(wire.data.first?.figures)
        #expect(figures.totalTrades == 12 && figures.totalAmount.text == "474520.3599480028")
    }

    @Test func exchangesMayBeMissingOrNullAndUnknownFieldsAreIgnored() throws {
        let wire = try parse(
            #"{"result":"success","query":{"data_version":"v1","x":[1,{"y":null}]},"data":[{\#(figures("0")),"exchanges":null,"new_field":true}],"next_url":"https://x/\u00e9\/p?a=1"}"#)
        #expect(wire.data.first?.exchanges.isEmpty == true)
        #expect(wire.query?.dataVersion == "v1")
        #expect(wire.nextURL == "https://x/é/p?a=1")
    }

    /// Names and texts are read as JSON means them, whatever their spelling: escapes resolved,
    /// non-ASCII kept, and of a repeated member the last one counts.
    @Test func escapedNamesAndRepeatedMembersReadAsJSONMeansThem() throws {
        let wire = try parse(
            #"{"res\u0075lt":"success","data":null,"data":[{\#(figures("2")),"exch\u0061nges":[{"exchange":"b\u0062it",\#(figures("2"))},{"exchange":"\u00e9x",\#(figures("2"))}]}],"next_url":"a","next_url":null}"#)
        let record = try #require(wire.data.first)
        #expect(record.exchanges.map(\.exchange) == ["bbit", "éx"])
        #expect(wire.nextURL == nil)
        #expect(throws: NotADataPage.self) { try parse(#"{"result":"success","data":[],"data":{}}"#) }
    }

    @Test(arguments: [
        #"{"a":"\ud800"}"#, #"{"a":"\udc00"}"#, #"{"a":"\ud800\u0041"}"#, "{\"a\":\"\u{7}\"}",
    ])
    func brokenEscapesAndControlCharactersAreSyntaxErrors(_ text: String) {
        #expect(throws: JSONSyntaxError.self) { try parse(text) }
    }

    @Test func bytesThatAreNotUTF8AreASyntaxError() {
        for bytes: [UInt8] in [[0xC3], [0xFF, 0x41], [0xED, 0xA0, 0x80]] {
            let body = Array(#"{"result":"success","data":[],"x":""#.utf8) + bytes + Array(#""}"#.utf8)
            #expect(throws: JSONSyntaxError.self) { try body.withUnsafeBytes { try WireResponse.parse($0) } }
        }
    }

    @Test(arguments: [
        #"{"data":[{"total_trades":1"#, #"{"data":[]"#, "", #"{"a":01}"#, #"{"a":1.}"#, #"{"a":"\x"}"#, #"{"a":tru}"#,
        #"{"a":1} x"#, String(repeating: "[", count: 100) + String(repeating: "]", count: 100),
    ])
    func brokenJSONIsASyntaxError(_ text: String) {
        #expect(throws: JSONSyntaxError.self) { try parse(text) }
    }

    @Test func theWrongShapeNamesWhereAndWhat() {
        func summary(_ text: String) -> String? {
            do {
                _ = try parse(text)
                return nil
            } catch let error as WireShapeError {
                return error.summary
            } catch {
                return "\(error)"
            }
        }
        let ok = #"{"result":"success","#
        #expect(summary(ok + #""data":[{\#(figures("0")),"exchanges":[{"exchange":"bbit",\#(figures("true"))}]}]}"#)
            == "data[0].exchanges[0].total_amount: expected a decimal amount, found a boolean")
        #expect(summary(ok + #""data":[{"total_amount":1}]}"#) == "missing field 'total_trades' in data[0]")
        #expect(summary(ok + #""data":[{\#(figures("1", trades: "1.5"))}]}"#) == "data[0].total_trades: expected an integer count, found '1.5'")
        #expect(summary(ok + #""data":[{\#(figures("\"1,5\""))}]}"#) == "data[0].total_amount: '1,5' is not a decimal number")
        #expect(summary(ok + #""data":[],"next_url":7}"#) == "next_url: expected a string, found a number")
    }

    /// A data page is an object with a `data` array and, when it has a `result`, `result: success`;
    /// everything else is a failed request that must not touch stored hours.
    @Test(arguments: [
        ("{}", #"no "data" array"#),
        (#"{"query":{"token":"btc"},"data":null}"#, #""data" is null, not an array"#),
        (#"{"result":"success"}"#, #"no "data" array"#),
        (#"{"result":"success","data":null}"#, #""data" is null, not an array"#),
        (#"{"result":"success","data":{}}"#, #""data" is an object, not an array"#),
        (#"{"result":"error","message":"Internal error","data":[]}"#, #""result" is "error": Internal error"#),
        (#"{"result":true,"data":[]}"#, #""result" is a boolean"#),
        (#"{"status":504,"error":"Gateway Timeout"}"#, #"no "data" array"#),
        (#"{"result":null,"data":[]}"#, #""result" is null"#),
        ("[]", "the body is an array, not an object"),
        (#""ok""#, "the body is a string, not an object"),
    ])
    func anAnswerThatIsNotADataPageSaysWhy(body: String, reason: String) {
        do {
            _ = try parse(body)
            Issue.record("\(body) was taken for a data page")
        } catch let error as NotADataPage {
            #expect(error.reason == reason)
        } catch {
            Issue.record("\(body): \(error)")
        }
    }
}
