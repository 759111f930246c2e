import Postgres
import Testing

@Suite("PostgresQuery: interpolation makes binds, never SQL")
struct PostgresQueryTests {
    @Test func interpolatedValuesBecomeNumberedBinds() {
        let asset = "btc'; DROP TABLE x; --"
        let limit: Int64 = 10
        let query: PostgresQuery = "SELECT * FROM t WHERE asset = \(asset) AND n < \(limit) OR note = \(nil as String?)"
        #expect(query.sql == "SELECT * FROM t WHERE asset = $1 AND n < $2 OR note = $3")
        #expect(query.binds == ["btc'; DROP TABLE x; --", "10", nil])
    }

    @Test func identifiersAreQuoted() {
        let query: PostgresQuery = "SELECT 1 FROM \(identifier: "we\"ird")"
        #expect(query.sql == "SELECT 1 FROM \"we\"\"ird\"")
        #expect(query.binds.isEmpty)
    }

    @Test func labelIsTheNameOrTheLeadingWords() {
        let query: PostgresQuery = "INSERT INTO liquidations.asset (asset) VALUES (\("btc"))"
        #expect(query.label == "INSERT INTO liquidations.asset (asset)")
        #expect(query.named("assets.add").label == "assets.add")
    }

    @Test func arraysBecomeQuotedArrayLiterals() {
        #expect(["a", "b\"c", "d\\e", "{x,y}"].postgresText == #"{"a","b\"c","d\\e","{x,y}"}"#)
        #expect([Int64(1), nil, 3].postgresText == #"{"1",NULL,"3"}"#)
        #expect([String]().postgresText == "{}")
    }
}

@Suite("PostgresTimestamp: timestamptz text without DateFormatter")
struct PostgresTimestampTests {
    @Test func parsesServerOutputWithOffsetsAndFractions() {
        #expect(PostgresTimestamp.parse("2025-02-27 23:00:00+00") == 1_740_697_200_000_000)
        #expect(PostgresTimestamp.parse("2025-02-27 23:00:00.5+00") == 1_740_697_200_500_000)
        #expect(PostgresTimestamp.parse("2025-02-28 04:30:00+05:30") == 1_740_697_200_000_000)
        #expect(PostgresTimestamp.parse("2025-02-27T23:00:00Z") == 1_740_697_200_000_000)
        #expect(PostgresTimestamp.parse("1969-12-31 23:59:59.999999+00") == -1)
    }

    @Test func rejectsMalformedText() {
        for text in ["", "2025-02-27", "2025-02-27 23:00", "2025-13-01 00:00:00+00", "2025-02-27 23:00:00", "infinity"] {
            #expect(PostgresTimestamp.parse(text) == nil, "\(text)")
        }
    }

    @Test func formatsUTCWithMicrosecondsOnlyWhenPresent() {
        #expect(PostgresTimestamp.format(microsecondsSinceEpoch: 1_740_697_200_000_000) == "2025-02-27T23:00:00Z")
        #expect(PostgresTimestamp.format(microsecondsSinceEpoch: 1_740_697_200_000_042) == "2025-02-27T23:00:00.000042Z")
        #expect(PostgresTimestamp.format(microsecondsSinceEpoch: -1) == "1969-12-31T23:59:59.999999Z")
    }
}

@Suite("PostgresConfiguration: passwords never shown")
struct PostgresConfigurationTests {
    @Test(arguments: [
        "postgresql://liq:s3cr%40t@db.example:5432/liq",
        "host=db user=liq password=s3cr@t dbname=liq",
        "host=db password = 's3cr@t' dbname=liq",
    ])
    func descriptionMasksThePassword(_ connectionString: String) {
        let description = PostgresConfiguration(connectionString: connectionString).description
        #expect(!description.contains("s3cr"))
        #expect(description.contains("****"))
    }

    @Test func emptyStringMeansLibpqDefaults() {
        #expect(PostgresConfiguration(connectionString: "").connectionString == nil)
        #expect(PostgresConfiguration().description.contains("libpq defaults"))
    }

}

@Suite("COPY fields: what each value writes")
struct CopyFieldTests {
    func field(_ value: some PostgresEncodable) -> String {
        var buffer: [UInt8] = []
        value.appendCopyField(to: &buffer)
        return String(decoding: buffer, as: UTF8.self)
    }

    /// Integers write their digits directly; they must read as `String(n)` does.
    @Test func integersWriteTheirDecimalDigits() {
        var generator = SystemRandomNumberGenerator()
        let edges: [Int64] = [0, 1, -1, 9, 10, -10, 99, 100, .max, .min, .max - 1, .min + 1, 1_000_000_007]
        for value in edges + (0..<1_000).map({ _ in Int64.random(in: .min ... .max, using: &generator) }) {
            #expect(field(value) == String(value))
        }
        #expect(field(Int64?.none) == "\\N")
        #expect(field(Int64?.some(-42)) == "-42")
    }

    @Test func textIsEscapedAndNullIsBackslashN() {
        #expect(field("a\tb\nc\\d\re") == "a\\tb\\nc\\\\d\\re")
        #expect(field("plain") == "plain")
        #expect(field(String?.none) == "\\N")
    }
}
