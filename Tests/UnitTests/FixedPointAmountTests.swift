import LiquidationModel
import Testing

/// liqsync's own exact sums print as PostgreSQL's `sum(numeric)` prints them: each literal's
/// scale is its fraction's digits less its exponent (at least 0), a sum keeps the larger scale.
/// (The integration tests compare whole rollups with PostgreSQL's.)
@Suite("FixedPointAmount: exact sums with PostgreSQL's scales")
struct FixedPointAmountTests {
    func amount(_ text: String) throws -> FixedPointAmount {
        let decimal = try #require(DecimalAmount(text))
        return try #require(FixedPointAmount(decimal))
    }

    @Test(arguments: [
        ("0", "0"), ("-0", "0"), ("-0.00", "0.00"), ("007.50", "7.50"), ("1e-5", "0.00001"), ("2.5E+2", "250"),
        ("1.50e1", "15.0"), ("1e3", "1000"), ("-12.3400", "-12.3400"), ("0.000", "0.000"),
        ("123456789012345678.123456789", "123456789012345678.123456789"),
        ("99999999999999999999999999999999999999", "99999999999999999999999999999999999999"),
    ])
    func aLiteralKeepsPostgreSQLsScale(literal: String, printed: String) throws {
        #expect(try amount(literal).description == printed)
    }

    @Test func aSumKeepsTheLargerScaleAndIsExact() throws {
        var sum = FixedPointAmount.zero
        for term in ["1.5", "2.25e1", "-0.000", "0.1", "0.2"] { #expect(sum.add(try amount(term))) }
        #expect(sum.description == "24.300")  // PostgreSQL: sum of the same = 24.300
        var negative = try amount("0.5")
        #expect(negative.add(try amount("-1.25")))
        #expect(negative.description == "-0.75")
    }

    @Test func whatNeedsMoreThan38DigitsHasNoValueAndASumThatWouldIsRefused() throws {
        #expect(FixedPointAmount(DecimalAmount("123456789012345678901234567890.1234567890")!) == nil)
        #expect(FixedPointAmount(DecimalAmount("1e39")!) == nil)
        #expect(FixedPointAmount(DecimalAmount("1e-39")!) == nil)
        var sum = try amount("99999999999999999999999999999999999999")
        let before = sum
        #expect(!sum.add(try amount("99999999999999999999999999999999999999")))
        #expect(sum == before, "a refused sum leaves the value as it was")
        var scaled = try amount("1" + String(repeating: "0", count: 37))  // 38 digits
        #expect(!scaled.add(try amount("0.01")), "aligning the scales would need 40 digits")
    }

    @Test func valuesCompareAsNumbers() throws {
        #expect(FixedPointAmount.compare(try amount("1.50"), try amount("1.5")) == 0)
        #expect(FixedPointAmount.compare(try amount("-2"), try amount("1e-5")) == -1)
        #expect(FixedPointAmount.compare(try amount("2.5E+2"), try amount("249.999")) == 1)
    }
}
