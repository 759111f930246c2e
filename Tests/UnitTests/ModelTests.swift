import Foundation
import LiquidationModel
import Testing

@Suite("AssetCode: what a tracked asset may be called")
struct AssetCodeTests {
    @Test(arguments: ["btc", "eth", "1000pepe", "usdt-e", "a.b_c", String(repeating: "x", count: 32)])
    func acceptsKaikoStyleCodes(_ text: String) throws {
        #expect(try AssetCode(validating: text).rawValue == text)
    }

    @Test func rejectsWithAReasonAPersonCanAct() {
        #expect(throws: AssetCodeError.empty) { try AssetCode(validating: "") }
        #expect(throws: AssetCodeError.uppercase("BTC")) { try AssetCode(validating: "BTC") }
        #expect(throws: AssetCodeError.tooLong(String(repeating: "x", count: 33))) {
            try AssetCode(validating: String(repeating: "x", count: 33))
        }
        #expect(throws: AssetCodeError.invalidCharacter("b/c", "/")) { try AssetCode(validating: "b/c") }
        #expect(AssetCodeError.uppercase("BTC").description.contains("did you mean 'btc'"))
    }
}

@Suite("UTCTimestamp and UTCHour: exact time arithmetic")
struct TimeTests {
    @Test func parsesDatesAndTimesAsUTC() throws {
        #expect(try UTCTimestamp.parse("2025-01-08") == 1_736_294_400)
        #expect(try UTCTimestamp.parse("2025-01-08T10:00") == 1_736_294_400 + 36_000)
        #expect(try UTCTimestamp.parse("2025-01-08T10:00:00Z") == 1_736_294_400 + 36_000)
        #expect(try UTCTimestamp.parse("2025-01-08 10:00:00.999") == 1_736_294_400 + 36_000)
        #expect(try UTCTimestamp.parse("2025-01-08T12:00:00+02:00") == 1_736_294_400 + 36_000)
        #expect(try UTCTimestamp.parse("2024-02-29") == 1_709_164_800)
    }

    @Test func rejectsImpossibleOrUnreadableInput() {
        #expect(throws: UTCTimestampError.invalidDate("2025-02-29")) { try UTCTimestamp.parse("2025-02-29") }
        #expect(throws: UTCTimestampError.invalidDate("2025-01-01T24:00")) { try UTCTimestamp.parse("2025-01-01T24:00") }
        #expect(throws: UTCTimestampError.unreadable("next week")) { try UTCTimestamp.parse("next week") }
        #expect(throws: UTCTimestampError.unreadable("2025-01-01T10")) { try UTCTimestamp.parse("2025-01-01T10") }
    }

    @Test func hoursRoundDownAlsoBeforeTheEpoch() {
        #expect(UTCHour(containing: 3599).secondsSinceEpoch == 0)
        #expect(UTCHour(containing: -1).secondsSinceEpoch == -3600)
        #expect(UTCHour(exactly: 7200) != nil)
        #expect(UTCHour(exactly: 7201) == nil)
        #expect(UTCHour(containing: 1_740_697_200).description == "2025-02-27T23:00:00Z")
    }

    /// The hand-written printer (every stored hour goes through it) against Foundation's, over
    /// the years liqsync can meet and the end of the four-digit range, and back through `parse`.
    @Test func timestampsPrintAsFoundationPrintsThemAndParseBack() throws {
        let reference = ISO8601DateFormatter()
        reference.formatOptions = [.withInternetDateTime]
        var generator = SystemRandomNumberGenerator()
        let edges: [Int64] = [0, -1, 3599, 951_782_400, 4_107_542_399, 253_402_300_799]
        let samples = edges + (0..<2_000).map { _ in Int64.random(in: -2_208_988_800...4_102_444_800, using: &generator) }
        for seconds in samples {
            let printed = UTCTimestamp.format(secondsSinceEpoch: seconds)
            #expect(printed == reference.string(from: Date(timeIntervalSince1970: TimeInterval(seconds))), "\(seconds)")
            #expect(try UTCTimestamp.parse(printed) == seconds)
        }
    }

    @Test func windowsSplitIntoChunksThatCoverThemExactly() {
        let start = UTCHour(containing: 1_736_294_400)
        let window = HourWindow(start: start, end: start.advanced(by: 2_500))
        let chunks = window.chunks(ofAtMost: 1000)
        #expect(chunks.map(\.hourCount) == [1000, 1000, 500])
        #expect(chunks.first?.start == window.start && chunks.last?.end == window.end)
        #expect(zip(chunks, chunks.dropFirst()).allSatisfy { $0.end == $1.start })
        #expect(HourWindow(start: start, end: start).chunks(ofAtMost: 1000).isEmpty)
    }

    @Test func datasetStartsOnJanuaryEighth2025() {
        #expect(KaikoDataset.firstHour.description == "2025-01-08T00:00:00Z")
    }
}

@Suite("DecimalAmount: exact text, packed up to 32 characters")
struct DecimalAmountTests {
    /// Texts either side of the inline limit: the same text back, equal and hashed alike
    /// however it was made (from a string or from bytes), signs and zeros read the same.
    @Test(arguments: [
        "0", "-0", "0.000", "1e7", "-1.5E-7", "474520.3599480028", "-0123456789.5e+7", "-10123456789.5E+7", "-1234567890.123456",
        String(repeating: "9", count: 32), String(repeating: "9", count: 33), "-" + String(repeating: "0", count: 30) + "1",
        "-1.25e+10", "9" + String(repeating: "0", count: 31),
        "123456789012345678901234567890123456789012.123456789012345678901",
    ])
    func keepsItsTextWhateverItsLength(_ text: String) throws {
        let fromString = try #require(DecimalAmount(text))
        let fromBytes = try #require(Array(text.utf8).withUnsafeBytes { DecimalAmount(utf8: $0) })
        #expect(fromString.text == text && fromBytes.text == text)
        #expect(fromString == fromBytes && fromString.hashValue == fromBytes.hashValue)
        #expect(fromString.withUTF8 { Array($0) } == Array(text.utf8))
        let mantissa = text.split(whereSeparator: { $0 == "e" || $0 == "E" }).first ?? ""
        #expect(fromString.isZero == !mantissa.contains(where: { ("1"..."9").contains($0) }))
        #expect(fromString.isNegative == (text.hasPrefix("-") && !fromString.isZero))
    }

    @Test func differentSpellingsAreDifferentTextsAndNonNumbersAreRefused() {
        #expect(DecimalAmount("1.50") != DecimalAmount("1.5"))
        #expect(DecimalAmount(String(repeating: "1", count: 32)) != DecimalAmount(String(repeating: "1", count: 33)))
        #expect(DecimalAmount(String(repeating: "1", count: 16)) != DecimalAmount(String(repeating: "1", count: 17)))
        #expect(DecimalAmount("10") != DecimalAmount("1") && DecimalAmount("1.0") != DecimalAmount("10"))
        for text in ["", "-", "1.", ".5", "1e", "+1", "1,5", "0x1", " 1", "NaN"] {
            #expect(DecimalAmount(text) == nil, "\(text)")
            #expect(Array(text.utf8).withUnsafeBytes { DecimalAmount(utf8: $0) } == nil, "\(text)")
        }
        #expect(DecimalAmount.zero.text == "0" && DecimalAmount.zero.isZero)
    }
}
