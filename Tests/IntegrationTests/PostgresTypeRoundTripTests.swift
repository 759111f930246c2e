import Foundation
import LiquidationModel
import LiquidationStore
import Postgres
import Testing

@Suite("Postgres: values survive a round trip through the server")
struct PostgresTypeRoundTripTests {
    @Test func stringsIncludingQuotesTabsAndUnicodeRoundTrip() async throws {
        let database = try await TestDatabase.create()
        try await database.withConnection { connection async throws in
            for value in ["", "plain", "it's \"quoted\"", "tab\there\nnewline\\backslash", "ünïcødé 🚀", "$1 ; DROP"] {
                let back = try await connection.query("SELECT \(value)::text").scalar(String.self)
                #expect(back == value)
            }
        }
    }

    @Test func integersRoundTripAtTheirLimits() async throws {
        let database = try await TestDatabase.create()
        try await database.withConnection { connection async throws in
            for value in [Int64.min, -1, 0, 1, Int64.max] {
                #expect(try await connection.query("SELECT \(value)::bigint").scalar(Int64.self) == value)
            }
            #expect(try await connection.query("SELECT \(Int(42))::integer").scalar(Int.self) == 42)
            #expect(try await connection.query("SELECT \(Int32.min)::integer").scalar(Int32.self) == Int32.min)
        }
    }

    @Test func boolsAndDoublesRoundTrip() async throws {
        let database = try await TestDatabase.create()
        try await database.withConnection { connection async throws in
            #expect(try await connection.query("SELECT \(true)::boolean").scalar(Bool.self) == true)
            #expect(try await connection.query("SELECT \(false)::boolean").scalar(Bool.self) == false)
            for value in [0.1, -2.5e-300, 1.7976931348623157e308, 4493384.579834212, .infinity] {
                #expect(try await connection.query("SELECT \(value)::float8").scalar(Double.self) == value)
            }
            #expect(try await connection.query("SELECT \(Double.nan)::float8").scalar(Double.self).isNaN)
        }
    }

    @Test func numericAmountsAreExactAsText() async throws {
        let database = try await TestDatabase.create()
        try await database.withConnection { connection async throws in
            for text in ["4493384.579834212", "0", "0.000000000000000000000000000001", "123456789012345678901234567890.123456789",
                         "920343.8155558605", "-1.50"]
            {
                let amount = try #require(DecimalAmount(text))
                let back = try await connection.query("SELECT (\(amount)::numeric)::text").scalar(String.self)
                #expect(back == text)
            }
        }
    }

    @Test func datesRoundTripToTheMicrosecondAsTimestamptz() async throws {
        let database = try await TestDatabase.create()
        try await database.withConnection { connection async throws in
            let dates = [
                Date(timeIntervalSince1970: 1_740_697_200),  // 2025-02-27T23:00:00Z
                Date(timeIntervalSince1970: 1_740_697_200.123456),
                Date(timeIntervalSince1970: -86_400.5),
            ]
            for date in dates {
                let back = try await connection.query("SELECT \(date)::timestamptz").scalar(Date.self)
                #expect(abs(back.timeIntervalSince1970 - date.timeIntervalSince1970) < 0.000_001)
            }
            let text = try await connection.query("SELECT (\(dates[0])::timestamptz)::text").scalar(String.self)
            #expect(text == "2025-02-27 23:00:00+00", "the session must be pinned to UTC")
        }
    }

    @Test func nullsDecodeAsNilAndNilEncodesAsNull() async throws {
        let database = try await TestDatabase.create()
        try await database.withConnection { connection async throws in
            let missing: String? = nil
            let query: PostgresQuery = "SELECT \(missing)::text, NULL::bigint, NULL::timestamptz, \(missing)::text IS NULL"
            let row = try #require(try await connection.query(query).rows.first)
            let (text, number, date, isNull) = try row.decode(String?.self, Int64?.self, Date?.self, Bool.self)
            #expect(text == nil && number == nil && date == nil && isNull)
        }
    }

    @Test func nullIntoNonOptionalIsADecodingErrorNamingTheColumn() async throws {
        let database = try await TestDatabase.create()
        try await database.withConnection { connection async throws in
            let result = try await connection.query("SELECT NULL::bigint AS trades")
            let error = try #require(throws: PostgresError.self) { try result.scalar(Int64.self) }
            #expect(error.code == .decoding)
            #expect(error.description.contains("trades"))
        }
    }

    @Test func arraysCarryManyRowsInOneStatement() async throws {
        let database = try await TestDatabase.create()
        try await database.withConnection { connection async throws in
            try await connection.execute(script: "CREATE TABLE t (id bigint, label text, amount numeric)")
            let ids = (1...10_000).map(Int64.init)
            let labels = ids.map { $0 % 7 == 0 ? nil : "row \"\($0)\", {x}\\" as String? }
            let amounts = ids.map { DecimalAmount("\($0).125")! }
            let inserted = try await connection.query(
                "INSERT INTO t SELECT * FROM unnest(\(ids)::bigint[], \(labels)::text[], \(amounts)::numeric[])"
            ).affectedRows
            #expect(inserted == 10_000)
            let row = try #require(
                try await connection.query(
                    "SELECT count(label), sum(amount)::text, max(label) FILTER (WHERE id = 1) FROM t"
                ).rows.first)
            let (labelled, total, first) = try row.decode(Int64.self, String.self, String?.self)
            #expect(labelled == 10_000 - 10_000 / 7)
            #expect(total == "50006250.000")
            #expect(first == "row \"1\", {x}\\")
        }
    }
}
