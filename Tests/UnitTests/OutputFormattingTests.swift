import CommandLineSupport
import Foundation
import Ingest
import LiquidationModel
import Testing

@testable import LiquidationStore
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

    @Test func aBackfillSummaryCountsEveryAssetAndItsPace() throws {
        let progress = BackfillProgress()
        let (btc, eth, sol) = (try AssetCode(validating: "btc"), try AssetCode(validating: "eth"), try AssetCode(validating: "sol"))
        progress.expect(btc, totalHours: 1000, alreadyDone: 400)
        progress.expect(eth, totalHours: 1000, alreadyDone: 0)
        progress.expect(sol, totalHours: 2000, alreadyDone: 0)
        progress.begin(btc, totalHours: 1000, alreadyDone: 400)
        progress.advance(btc, hours: 600, rows: 3000, requests: 1)
        progress.finish(btc)
        progress.begin(eth, totalHours: 1000, alreadyDone: 0)
        progress.advance(eth, hours: 500, rows: 2000, requests: 1)
        let summary = progress.summary
        #expect(summary.assets == 3 && summary.assetsDone == 1)
        #expect(summary.totalHours == 4000 && summary.doneHours == 1500)
        // 1100 hours done by this command; 2500 left at that pace.
        let left = try #require(summary.secondsLeft)
        #expect(abs(left / (2500 / summary.hoursPerSecond) - 1) < 1e-9)
        let line = BackfillProgress.summaryLine(summary, requestsInFlight: 7)
        #expect(line.hasPrefix("all 1/3 assets  1,500/4,000 h  37%  "), "\(line)")
        #expect(line.contains(" requests/s  7 in flight  ") && line.contains(" rows/s  ETA "), "\(line)")
        var finished = summary
        finished.assetsDone = 3
        #expect(BackfillProgress.summaryLine(finished, requestsInFlight: 0).hasSuffix("done"))
    }

    @Test func statusListsRunningBackfillsAndCountsInterruptedOnes() throws {
        let start = UTCHour(containing: 1_736_294_400)  // 2025-01-08
        func backfill(_ asset: String, done: Int, running: Bool) throws -> UnfinishedBackfill {
            UnfinishedBackfill(
                job: BackfillJob(
                    id: 1, asset: try AssetCode(validating: asset), range: HourWindow(start: start, end: start.advanced(by: 1000)),
                    doneUntil: start.advanced(by: done)),
                running: running, lastProgressAt: Date(timeIntervalSince1970: 1_765_000_000))
        }
        let interrupted = try (0..<25).map { try backfill("a\($0 < 10 ? "0" : "")\($0)", done: 100, running: false) }
        let text = BackfillsText.render(
            [try backfill("btc", done: 250, running: true)] + interrupted, now: Date(timeIntervalSince1970: 1_765_000_030))
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines[0] == "Backfills running: 1, 250 of 1000 hours done (25%)")
        #expect(lines[1] == "  btc [2025-01-08T00:00:00Z, 2025-02-18T16:00:00Z): 250 of 1000 hours (25%), last chunk 30s ago")
        #expect(lines[2] == "Backfills interrupted: 25 (run the same backfill command again to resume)")
        #expect(lines.count == 3 + BackfillsText.listedUpTo + 1 && lines.last == "  … and 5 more")
    }
}
