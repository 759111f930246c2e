import LiquidationModel
import Postgres

/// The daily rollups (`token_day`, `token_day_exchange`, migration 0012), kept exact in the
/// chunk's transaction: every UTC day holding a changed hour, or an hour that opened or closed
/// (its open hours are counted with its sums), is summed again from its stored hours, whole
/// (the hours of the day outside the chunk included). Rewriting the day rather than adding
/// differences keeps the sums exact by construction, revisions and vanished exchanges included;
/// a day is at most 24 hours, a chunk at most 1000, so this reads what the chunk just wrote and
/// little more.
enum DailyRollup {
    /// The UTC days `[first, end)` that hold `hours`, as their first hours; nil for no hours.
    static func days(holding hours: [UTCHour]) -> HourWindow? {
        guard let first = hours.min(), let last = hours.max() else { return nil }
        let day = UTCHour.seconds * 24
        func startOfDay(_ hour: UTCHour) -> UTCHour {
            UTCHour(containing: hour.secondsSinceEpoch - (((hour.secondsSinceEpoch % day) + day) % day))
        }
        return HourWindow(start: startOfDay(first), end: startOfDay(last).advanced(by: 24))
    }

    /// Sums the days holding `hours` of `asset` again, in the caller's transaction, after the
    /// hours and the open hours are written.
    static func refresh(_ asset: AssetCode, hours: [UTCHour], connection: isolated PostgresConnection) throws {
        guard let days = days(holding: hours) else { return }
        try connection.query(
            """
            DELETE FROM liquidations.token_day
            WHERE asset = \(asset) AND day >= (\(days.start)::timestamptz AT TIME ZONE 'UTC')::date
              AND day < (\(days.end)::timestamptz AT TIME ZONE 'UTC')::date
            """, name: "rollup.clear-days")
        try connection.query(
            """
            INSERT INTO liquidations.token_day
                (asset, day, hours_covered, \(sql: FigureColumns.list()), max_hour_amount, open_hours, updated_at)
            SELECT t.asset, (t.interval_start AT TIME ZONE 'UTC')::date, count(*), \(sql: FigureColumns.sums()),
                   max(total_amount), count(o.interval_start), max(updated_at)
            FROM liquidations.token_interval AS t
            LEFT JOIN liquidations.emptied_hour AS o ON o.asset = t.asset AND o.interval_start = t.interval_start
            WHERE t.asset = \(asset) AND t.interval_start >= \(days.start) AND t.interval_start < \(days.end)
            GROUP BY t.asset, (t.interval_start AT TIME ZONE 'UTC')::date
            """, name: "rollup.sum-days")
        try connection.query(
            """
            DELETE FROM liquidations.token_day_exchange
            WHERE asset = \(asset) AND day >= (\(days.start)::timestamptz AT TIME ZONE 'UTC')::date
              AND day < (\(days.end)::timestamptz AT TIME ZONE 'UTC')::date
            """, name: "rollup.clear-exchange-days")
        try connection.query(
            """
            INSERT INTO liquidations.token_day_exchange (asset, day, exchange, hours_covered, \(sql: FigureColumns.list()), updated_at)
            SELECT asset, (interval_start AT TIME ZONE 'UTC')::date, exchange, count(*), \(sql: FigureColumns.sums()), max(updated_at)
            FROM liquidations.token_interval_exchange
            WHERE asset = \(asset) AND interval_start >= \(days.start) AND interval_start < \(days.end)
            GROUP BY asset, (interval_start AT TIME ZONE 'UTC')::date, exchange
            """, name: "rollup.sum-exchange-days")
    }
}
