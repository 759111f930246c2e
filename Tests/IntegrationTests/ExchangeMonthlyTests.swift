import Foundation
import LiquidationStore
import Logging
import Postgres
import Testing

/// Every asset's exchanges by month (`liquidations.exchange_monthly`, migration 0015): kept from
/// the changes triggers on the per-asset monthly rollup append, so writers of different assets
/// never wait for each other, and folded so the view reads about one row per exchange and month.
@Suite("Exchanges by month across assets: a log of changes, exact, folded, never waited for")
struct ExchangeMonthlyTests {
    func migrated() async throws -> TestDatabase {
        let database = try await TestDatabase.create()
        try await database.withConnection { connection async throws in
            _ = try await MigrationRunner(connection: connection, migrations: try Migration.embedded(), logger: Logger(label: "t"))
                .migrate()
        }
        return database
    }

    /// The per-asset monthly exchange row of `asset`, written as the writer's upsert would.
    static func upsert(_ asset: String, _ exchange: String, month: String = "2025-03-01", trades: Int, amount: String) -> String {
        """
        INSERT INTO liquidations.token_month_exchange AS m
            (asset, month, exchange, hours_covered, total_trades, total_amount, long_trades, long_amount, short_trades,
             short_amount, updated_at)
        VALUES ('\(asset)', '\(month)', '\(exchange)', 1, \(trades), \(amount), \(trades), \(amount), 0, 0, now())
        ON CONFLICT (asset, month, exchange) DO UPDATE
        SET total_trades = excluded.total_trades, total_amount = excluded.total_amount, long_trades = excluded.long_trades,
            long_amount = excluded.long_amount, updated_at = excluded.updated_at
        """
    }

    static let view = """
        SELECT coalesce(string_agg(concat_ws(' ', month, exchange, assets, total_trades, total_amount_usd, long_amount_usd,
                                             short_amount_usd), '; ' ORDER BY month, exchange), '')
        FROM liquidations.exchange_monthly
        """
    static let changeRows = "SELECT count(*) FROM liquidations.exchange_month_change"
    static let fold = "SELECT liquidations.compact_exchange_month_changes()"

    @Test func everyInsertUpdateAndDeleteOfAnAssetsMonthIsSummedExactlyAndFoldingKeepsTheSums() async throws {
        let database = try await migrated()
        try await database.withConnection { connection async throws in
            try await connection.execute(script: [
                Self.upsert("btc", "bbit", trades: 5, amount: "50.000000000000000001"),
                Self.upsert("eth", "bbit", trades: 1, amount: "1.25"),
                Self.upsert("btc", "okex", trades: 2, amount: "2"),
                Self.upsert("btc", "bbit", month: "2025-04-01", trades: 3, amount: "3"),
                // A revision, an update that changes no figure, an exchange gone from the asset's month.
                Self.upsert("btc", "bbit", trades: 6, amount: "60.5"),
                "UPDATE liquidations.token_month_exchange SET updated_at = now() WHERE asset = 'eth'",
                "DELETE FROM liquidations.token_month_exchange WHERE exchange = 'okex'",
            ].joined(separator: ";\n"))
            let expected = "2025-03-01 bbit 2 7 61.75 61.75 0; 2025-04-01 bbit 1 3 3 3 0"
            #expect(try await connection.query(PostgresQuery(unsafeSQL: Self.view)).scalar(String.self) == expected)
            #expect(try await exchangeMonthlyMismatches(database: database).isEmpty)
            // Six changes logged (the update without a figure changed logs none); folded, one row per
            // exchange and month, okex's month (back to nothing) none, and the same sums.
            #expect(try await connection.query(PostgresQuery(unsafeSQL: Self.changeRows)).scalar(Int64.self) == 6)
            #expect(try await connection.query(PostgresQuery(unsafeSQL: Self.fold)).scalar(Int64.self) == 1)
            #expect(try await connection.query(PostgresQuery(unsafeSQL: Self.changeRows)).scalar(Int64.self) == 2)
            #expect(try await connection.query(PostgresQuery(unsafeSQL: Self.view)).scalar(String.self) == expected)
            // An asset removed with its rows takes its share with it.
            try await connection.execute(script: "DELETE FROM liquidations.token_month_exchange WHERE asset = 'btc'")
            #expect(try await connection.query(PostgresQuery(unsafeSQL: Self.view)).scalar(String.self)
                == "2025-03-01 bbit 1 1 1.25 1.25 0")
            #expect(try await exchangeMonthlyMismatches(database: database).isEmpty)
        }
    }

    /// Two writers of different assets change the same exchange and month in open transactions:
    /// neither waits for the other (the old way, one row per exchange and month updated by
    /// both, would make the second wait for the first's commit), the second's fold goes on at
    /// once without folding, and nothing is lost or counted twice once both commit.
    @Test(.timeLimit(.minutes(2)))
    func writersOfDifferentAssetsNeverWaitForEachOtherAndFoldingLosesNothing() async throws {
        let database = try await migrated()
        let first = try await database.connect()
        let second = try await database.connect()
        // Any wait for a lock fails the statement at once: the first holds its locks until it
        // commits, after the second's statements, so the second passing proves it never waited.
        for connection in [first, second] { try await connection.execute(script: "SET lock_timeout = '100ms'") }
        try await first.execute(script: "BEGIN; " + Self.upsert("btc", "bbit", trades: 5, amount: "50"))
        #expect(try await first.query(PostgresQuery(unsafeSQL: Self.fold)).scalar(Int64.self) == 0, "one change: nothing to fold")
        try await first.execute(script: Self.upsert("btc", "bbit", trades: 6, amount: "60"))
        #expect(try await first.query(PostgresQuery(unsafeSQL: Self.fold)).scalar(Int64.self) == 1, "its own two changes folded")

        try await second.execute(script: "BEGIN; " + Self.upsert("eth", "bbit", trades: 1, amount: "1"))
        try await second.execute(script: Self.upsert("eth", "bbit", trades: 2, amount: "2"))
        #expect(try await second.query(PostgresQuery(unsafeSQL: Self.fold)).scalar(Int64.self) == 0, "another is folding")

        try await first.execute(script: "COMMIT")
        try await second.execute(script: "COMMIT")
        try await database.withConnection { connection async throws in
            #expect(try await connection.query(PostgresQuery(unsafeSQL: Self.view)).scalar(String.self)
                == "2025-03-01 bbit 2 8 62 62 0")
            #expect(try await connection.query(PostgresQuery(unsafeSQL: Self.fold)).scalar(Int64.self) == 1)
            #expect(try await connection.query(PostgresQuery(unsafeSQL: Self.changeRows)).scalar(Int64.self) == 1)
            #expect(try await connection.query(PostgresQuery(unsafeSQL: Self.view)).scalar(String.self)
                == "2025-03-01 bbit 2 8 62 62 0")
        }
        #expect(try await exchangeMonthlyMismatches(database: database).isEmpty)
        await first.close()
        await second.close()
    }

    /// A change logged wrongly (here, by hand) is what `verify` reports, by default and with
    /// `--full`, as the exchange and month across assets that differ.
    @Test func verifyFindsSumsAcrossAssetsThatDifferFromTheAssetsMonths() async throws {
        let database = try await migrated()
        try await database.withConnection { connection async throws in
            try await connection.execute(script: Self.upsert("btc", "bbit", trades: 5, amount: "50"))
            try await connection.execute(script: """
                INSERT INTO liquidations.exchange_month_change VALUES ('bbit', '2025-03-01', 0, 0, 0.01, 0, 0.01, 0, 0)
                """)
            for full in [true, false] {
                let report = try await DataQuality(connection: connection).verify(full: full)
                let found = report.problems.filter { $0.kind == .rollupMismatch && $0.asset == "(all assets)" }
                #expect(found.count == 1, "\(report.problems)")
                #expect(found.first?.detail == "liquidations.exchange_monthly of bbit: differs from the sums of the assets' months")
            }
        }
    }
}
