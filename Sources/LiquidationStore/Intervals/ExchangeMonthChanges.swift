import Postgres

/// Every asset's sums per exchange and month (`liquidations.exchange_monthly`, migration 0015):
/// statement-level triggers on the per-asset monthly rollup append each statement's changes to
/// `exchange_month_change`, so a writer never waits for another's row; folding the changes keeps
/// what the view reads at about one row per exchange and month.
enum ExchangeMonthChanges {
    /// Folds the changes committed so far, and the caller's own, in the caller's transaction;
    /// goes on at once without folding while another transaction folds (their next chunk will).
    static func fold(connection: isolated PostgresConnection) throws {
        try connection.query("SELECT liquidations.compact_exchange_month_changes()", name: "rollup.fold-exchange-months")
    }
}
