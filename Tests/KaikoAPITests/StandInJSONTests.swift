import Foundation
import Testing

@testable import FakeKaiko

/// The stand-in writes its pages byte by byte; these are the literals Kaiko's example shows
/// (amounts with every digit, zero as `0`) and the edges of the hand-written number printing.
@Suite("FakeKaiko: the JSON it writes")
struct StandInJSONTests {
    private func text(_ write: (inout JSONBytes) -> Void) -> String {
        var json = JSONBytes()
        write(&json)
        return String(decoding: json.bytes, as: UTF8.self)
    }

    @Test(arguments: [
        (Int128(0), "0"), (1, "0.0000000001"), (10, "0.000000001"), (10_000_000_000, "1"),
        (10_000_000_001, "1.0000000001"), (12_345_000_000_000, "1234.5"), (2_814_817_815_643_695, "281481.7815643695"),
        (-15_000_000_000, "-1.5"), (-3, "-0.0000000003"),
        (Int128(UInt64.max) * 10_000_000_000 + 10_000_000_000, "18446744073709551616"),
    ])
    func amountsAreDecimalLiteralsWithEveryDigit(units: Int128, expected: String) {
        #expect(text { $0.decimal(units: units) } == expected)
    }

    @Test func amountsEqualTheirUnitsExactly() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2_000 {
            let units = Int128(Int64.random(in: 0...Int64.max, using: &generator)) * Int128(Int32.random(in: 0...1_000, using: &generator))
                + Int128(Int64.random(in: 0..<10_000_000_000, using: &generator))
            let printed = text { $0.decimal(units: units) }
            #expect(Decimal(string: printed) == Decimal(string: String(units))! / Decimal(10_000_000_000), "\(units) → \(printed)")
            #expect(!printed.contains(".") || !printed.hasSuffix("0"), "\(printed) ends in a zero")
        }
    }

    @Test(arguments: [Int64(0), 7, -5, 1_740_787_200_000_000_000, Int64.max, Int64.min])
    func integersPrintAsSwiftDoes(value: Int64) {
        #expect(text { $0.integer(value) } == String(value))
    }

    @Test func stringsAreEscaped() {
        #expect(text { $0.string("a\"b\\c\nd\u{1}é") } == #""a\"b\\c\nd\u0001é""#)
    }

    @Test func aPageIsJSONThatNamesItsRecords() throws {
        let figures = FakeFigures(longTrades: 2, shortTrades: 0, longUnits: 1_000_000_000_005, shortUnits: 0)
        let records = ResponseJSON.records([FakeInterval(start: 1_740_787_200, exchanges: [(code: "bbit", figures: figures)])])
        #expect(records == #"[{"interval_time":"2025-03-01T00:00:00Z","interval_timestamp":1740787200000000000,"#
            + #""total_trades":2,"total_amount":100.0000000005,"long_trades":2,"long_amount":100.0000000005,"#
            + #""short_trades":0,"short_amount":0,"exchanges":[{"exchange":"bbit","total_trades":2,"#
            + #""total_amount":100.0000000005,"long_trades":2,"long_amount":100.0000000005,"short_trades":0,"short_amount":0}]}]"#)
    }
}
