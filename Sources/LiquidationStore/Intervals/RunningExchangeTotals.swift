import LiquidationModel
import Postgres

/// Keeps `token_day_exchange_running` (migration 0017) in step with the daily rows per exchange:
/// per asset, exchange and day, the sums from the asset's first day on the exchange through that
/// day, on every day the asset has rows, so that `liquidations.exchange_totals` answers any range of days from
/// two rows per asset and exchange.
enum RunningExchangeTotals {
    /// Rewrites the asset's running totals from the first day of `days` (whose daily rows the
    /// transaction has just rewritten) on, through every later day the asset has rows: the rows
    /// of the asset's last day before are the base, and the days after carry the change on. An
    /// hourly pass rewrites a day or two; a revision deep in the past, every later day; a day of
    /// history loaded before days already stored, those days (only days with rows: the days not
    /// loaded yet have none, so loading history after the recent days is not quadratic). Rows
    /// whose totals did not change are left alone.
    ///
    /// The exchanges rewritten are those of the base day and those with a running total or a
    /// daily row from the first day on: an exchange whose daily rows a revision took away keeps
    /// rows carrying its earlier total. An exchange that first appears after the first day gets
    /// rows of zeros on the days before, which add nothing to any range.
    ///
    /// The first day is a value wherever it is used, not a CTE joined in: the planner then
    /// bounds every scan by it (the base day is the index's last entry before it, the daily rows
    /// are read from it on), where through a CTE it reads all of the asset's years of rows.
    static func refresh(_ asset: AssetCode, days: HourWindow, connection: isolated PostgresConnection) throws {
        // The UTC date of the window's first hour, a day's start (2025-03-17T00:00:00Z).
        let firstDay = String(days.start.description.prefix(10))
        try connection.query(
            """
            WITH base AS (
                SELECT r.exchange, r.hours_covered, \(sql: FigureColumns.list("r"))
                FROM liquidations.token_day_exchange_running AS r
                WHERE r.asset = \(asset)
                  AND r.day = (SELECT max(p.day) FROM liquidations.token_day_exchange_running AS p
                               WHERE p.asset = \(asset) AND p.day < \(firstDay)::date)
            ), later AS (
                SELECT day, exchange FROM liquidations.token_day_exchange_running
                WHERE asset = \(asset) AND day >= \(firstDay)::date
                UNION
                SELECT day, exchange FROM liquidations.token_day_exchange
                WHERE asset = \(asset) AND day >= \(firstDay)::date
            ), pairs AS (
                SELECT exchange FROM base UNION SELECT exchange FROM later
            )
            INSERT INTO liquidations.token_day_exchange_running AS r
                (asset, day, exchange, hours_covered, \(sql: FigureColumns.list()))
            SELECT \(asset), g.day, p.exchange,
                   coalesce(b.hours_covered, 0) + sum(coalesce(d.hours_covered, 0)) OVER w, \(sql: runningSums)
            FROM pairs AS p
            CROSS JOIN (SELECT DISTINCT day FROM later) AS g
            LEFT JOIN base AS b ON b.exchange = p.exchange
            LEFT JOIN liquidations.token_day_exchange AS d
                   ON d.asset = \(asset) AND d.day = g.day AND d.exchange = p.exchange AND d.day >= \(firstDay)::date
            WINDOW w AS (PARTITION BY p.exchange ORDER BY g.day)
            ON CONFLICT (asset, day, exchange) DO UPDATE SET hours_covered = excluded.hours_covered,
                \(sql: FigureColumns.assignments(from: "excluded"))
            WHERE r.hours_covered IS DISTINCT FROM excluded.hours_covered OR \(sql: FigureColumns.differ("r", "excluded"))
            """, name: "rollup.running-exchange-totals")
    }

    /// `coalesce(b.m, 0) + sum(coalesce(d.m, 0)) OVER w` for each measure: the base day's total
    /// plus the daily rows up to the row's day.
    private static let runningSums = SQLFragment(joining: Measure.allCases.map { measure in
        SQLFragment("coalesce(b.") + SQLFragment(measure.name) + SQLFragment(", 0) + sum(coalesce(d.")
            + SQLFragment(measure.name) + SQLFragment(", 0)) OVER w")
    }, separator: ", ")
}
