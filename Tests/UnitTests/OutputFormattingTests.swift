import CommandLineSupport
import Foundation
import LiquidationModel
import Testing

@testable import liqsync

/// The printers that replaced Foundation's formatters (README, "Memory"): the same text.
@Suite("Output formatting: JSON, columns, timestamps")
struct OutputFormattingTests {
    @Test func jsonHasSortedKeysNullsAndUnescapedSlashes() throws {
        let value = JSONValue.object([
            "b": .array([.number(1 as Int), .number(nil as Int64?), .bool(false)]),
            "a": .text("x/y \"q\" \u{1}é"),
            "c": .text(nil),
        ])
        #expect(try value.rendered() == #"{"a":"x/y \"q\" \u0001é","b":[1,null,false],"c":null}"#)
        // The same text Foundation's JSONSerialization printed with the options liqsync used.
        let foundation = try JSONSerialization.data(
            withJSONObject: ["b": [1, NSNull(), false], "a": "x/y \"q\" \u{1}é", "c": NSNull()] as [String: Any],
            options: [.sortedKeys, .withoutEscapingSlashes])
        #expect(try value.rendered() == String(decoding: foundation, as: UTF8.self))
    }

    @Test func timestampsPrintToTheSecondInUTC() {
        let instant = Date(timeIntervalSince1970: 1_793_493_000.75)
        #expect(UTCTimestamp.format(instant) == "2026-11-01T00:30:00Z")
        #expect(UTCTimestamp.format(instant) == ISO8601DateFormatter().string(from: instant))
    }

    @Test func columnsArePaddedNeverCut() {
        var table = TextTable(headers: ["ASSET", "WATERMARK"])
        table.rows = [["btc", "2026-11-01T00:00:00Z"], ["a-long-code", "-"]]
        #expect(table.render() == "ASSET        WATERMARK\nbtc          2026-11-01T00:00:00Z\na-long-code  -")
        #expect("7".padded(toWidthFromLeft: 3) == "  7")
        #expect("1234".padded(toWidthFromLeft: 3) == "1234")
        #expect("  key\n\t".trimmingWhitespace() == "key")
    }

    /// libpq's messages span lines (`server closed the connection unexpectedly` and a
    /// tab-indented explanation); a log record, a message and a table cell stay one line.
    @Test func multiLineTextIsFoldedToOneLine() {
        let libpq = "server closed the connection unexpectedly\n\tThis probably means the server terminated abnormally\n\tbefore or while processing the request.\n"
        #expect(OneLine.fold(libpq)
            == "server closed the connection unexpectedly This probably means the server terminated abnormally before or while processing the request.")
        #expect(OneLine.fold("a\r\nb\u{7}c\td") == "a b c d")
        #expect(OneLine.fold("already one line") == "already one line")
        #expect(OneLine.fold("\nleading") == "leading")
        #expect(ErrorReport.message(for: CommandFailure("first\n  second", status: .usage)) == "first second")
    }
}
