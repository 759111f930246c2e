import LiquidationModel
import Postgres

/// The daily rollups (`token_day`, `token_day_exchange`, migration 0012), kept exact in the
/// chunk's transaction. A window with stored hours: every UTC day holding a changed hour, or an
/// hour that opened or closed (its open hours are counted with its sums), is summed again from
/// its stored hours, whole (the hours of the day outside the chunk included) — rewriting the day
/// rather than adding differences keeps the sums exact by construction, revisions and vanished
/// exchanges included. A fresh window (nothing stored, nothing open) instead adds the sums
/// liqsync worked out from its records (`FreshDaySums`): the same result for a fraction of
/// PostgreSQL's work, which is most of a backfill's.
enum DailyRollup {
    /// The UTC days `[first, end)` that hold `hours`, as their first hours; nil for no hours.
    static func days(holding hours: [UTCHour]) -> HourWindow? {
        guard let first = hours.min(), let last = hours.max() else { return nil }
        return HourWindow(start: startOfDay(first), end: startOfDay(last).advanced(by: 24))
    }

    /// The first hour of the UTC day holding `hour`.
    static func startOfDay(_ hour: UTCHour) -> UTCHour {
        let day = UTCHour.seconds * 24
        return UTCHour(containing: hour.secondsSinceEpoch - (((hour.secondsSinceEpoch % day) + day) % day))
    }

    /// Adds a fresh window's sums (see `FreshDaySums`) to the rollups of its days, in the
    /// caller's transaction, after its hours are copied. Nothing of the window was stored and
    /// none of its hours is open, so the result is each day's sums exactly, as `refresh` would
    /// write them. A day wholly inside the window had no stored hour, so it has no rollup yet and
    /// is inserted; a day the window shares with hours outside it may have one, and gets the
    /// window's sums added (an upsert costs PostgreSQL about twice an insert, so only those do).
    static func add(_ sums: FreshDaySums, asset: AssetCode, connection: isolated PostgresConnection) throws {
        let wholeDays = Set(sums.days.lazy.filter { $0.sums.hoursCovered == 24 }.map(\.day))
        // The whole days (inserts), then the days shared with hours outside the window (upserts).
        for shared in [false, true] {
            try insertDays(
                sums.days.filter { wholeDays.contains($0.day) != shared }, asset: asset, adding: shared,
                connection: connection)
            try insertExchangeDays(
                sums.exchangeDays.filter { wholeDays.contains($0.day) != shared }, asset: asset, adding: shared,
                connection: connection)
        }
    }

    /// Inserts the rollups of `days`; `adding`: to a day's rollup where there is one.
    private static func insertDays(
        _ days: [FreshDaySums.Day], asset: AssetCode, adding: Bool, connection: isolated PostgresConnection
    ) throws {
        guard !days.isEmpty else { return }
        let figures = days.map(\.sums).figureArrays
        try connection.query(
            """
            INSERT INTO liquidations.token_day AS d
                (asset, day, hours_covered, \(sql: FigureColumns.list()), max_hour_amount, open_hours, updated_at)
            SELECT \(asset), (u.day AT TIME ZONE 'UTC')::date, u.hours_covered, \(sql: FigureColumns.list("u")),
                   u.max_hour_amount, 0, now()
            FROM unnest(
                \(ArrayLiteral(days.lazy.map(\.day)))::timestamptz[],
                \(ArrayLiteral(days.lazy.map(\.sums.hoursCovered)))::integer[],
                \(each: FigureColumns.arrays(figures), separator: ", "), \(ArrayLiteral(days.lazy.map(\.largestHour)))::numeric[]
            ) AS u(day, hours_covered, \(sql: FigureColumns.list()), max_hour_amount)
            \(sql: adding ? addToDay : SQLFragment(""))
            """, name: adding ? "rollup.add-days" : "rollup.insert-days")
    }

    private static let addToDay = SQLFragment(
        "ON CONFLICT (asset, day) DO UPDATE SET hours_covered = d.hours_covered + excluded.hours_covered, ")
        + FigureColumns.added(to: "d")
        + SQLFragment(
            """
            , max_hour_amount = CASE WHEN excluded.max_hour_amount >= d.max_hour_amount
                                     THEN excluded.max_hour_amount ELSE d.max_hour_amount END,
              updated_at = greatest(d.updated_at, excluded.updated_at)
            """)

    /// Inserts the rollups of `days` per exchange; `adding`: to a rollup where there is one.
    private static func insertExchangeDays(
        _ days: [FreshDaySums.ExchangeDay], asset: AssetCode, adding: Bool, connection: isolated PostgresConnection
    ) throws {
        guard !days.isEmpty else { return }
        let figures = days.map(\.sums).figureArrays
        try connection.query(
            """
            INSERT INTO liquidations.token_day_exchange AS d
                (asset, day, exchange, hours_covered, \(sql: FigureColumns.list()), updated_at)
            SELECT \(asset), (u.day AT TIME ZONE 'UTC')::date, u.exchange, u.hours_covered, \(sql: FigureColumns.list("u")),
                   now()
            FROM unnest(
                \(ArrayLiteral(days.lazy.map(\.day)))::timestamptz[], \(days.map(\.exchange))::text[],
                \(ArrayLiteral(days.lazy.map(\.sums.hoursCovered)))::integer[],
                \(each: FigureColumns.arrays(figures), separator: ", ")
            ) AS u(day, exchange, hours_covered, \(sql: FigureColumns.list()))
            \(sql: adding ? addToExchangeDay : SQLFragment(""))
            """, name: adding ? "rollup.add-exchange-days" : "rollup.insert-exchange-days")
    }

    private static let addToExchangeDay = SQLFragment(
        "ON CONFLICT (asset, day, exchange) DO UPDATE SET hours_covered = d.hours_covered + excluded.hours_covered, ")
        + FigureColumns.added(to: "d") + SQLFragment(", updated_at = greatest(d.updated_at, excluded.updated_at)")

    /// Sums the days holding `hours` of `asset` again, in the caller's transaction, after the
    /// hours and the open hours are written. A day's row is updated in place, and only where its
    /// sums changed: a sync pass adds an hour to today's row every hour, and an update that stays
    /// on its page (`fillfactor`, migration 0013) leaves no dead row for vacuum to find. An
    /// exchange that no longer has any row in a day (a revision dropped it) loses the day's row.
    static func refresh(_ asset: AssetCode, hours: [UTCHour], connection: isolated PostgresConnection) throws {
        guard let days = days(holding: hours) else { return }
        try connection.query(
            """
            INSERT INTO liquidations.token_day AS d
                (asset, day, hours_covered, \(sql: FigureColumns.list()), max_hour_amount, open_hours, updated_at)
            SELECT t.asset, (t.interval_start AT TIME ZONE 'UTC')::date, count(*), \(sql: FigureColumns.sums()),
                   max(total_amount), count(o.interval_start), max(updated_at)
            FROM liquidations.token_interval AS t
            LEFT JOIN liquidations.emptied_hour AS o ON o.asset = t.asset AND o.interval_start = t.interval_start
            WHERE t.asset = \(asset) AND t.interval_start >= \(days.start) AND t.interval_start < \(days.end)
            GROUP BY t.asset, (t.interval_start AT TIME ZONE 'UTC')::date
            \(sql: replaceDay)
            """, name: "rollup.sum-days")
        try connection.query(
            """
            DELETE FROM liquidations.token_day_exchange AS d
            WHERE d.asset = \(asset) AND d.day >= (\(days.start)::timestamptz AT TIME ZONE 'UTC')::date
              AND d.day < (\(days.end)::timestamptz AT TIME ZONE 'UTC')::date
              AND NOT EXISTS (
                  SELECT 1 FROM liquidations.token_interval_exchange AS e
                  WHERE e.asset = d.asset AND e.exchange = d.exchange
                    AND e.interval_start >= d.day::timestamp AT TIME ZONE 'UTC'
                    AND e.interval_start < (d.day + 1)::timestamp AT TIME ZONE 'UTC')
            """, name: "rollup.clear-exchange-days")
        try connection.query(
            """
            INSERT INTO liquidations.token_day_exchange AS d
                (asset, day, exchange, hours_covered, \(sql: FigureColumns.list()), updated_at)
            SELECT asset, (interval_start AT TIME ZONE 'UTC')::date, exchange, count(*), \(sql: FigureColumns.sums()), max(updated_at)
            FROM liquidations.token_interval_exchange
            WHERE asset = \(asset) AND interval_start >= \(days.start) AND interval_start < \(days.end)
            GROUP BY asset, (interval_start AT TIME ZONE 'UTC')::date, exchange
            \(sql: replaceExchangeDay)
            """, name: "rollup.sum-exchange-days")
    }

    private static let replaceDay = replaceRollup(key: "asset, day", alias: "d", hourFigures: true)
    private static let replaceExchangeDay = replaceRollup(key: "asset, day, exchange", alias: "d", hourFigures: false)

    /// `ON CONFLICT (key) DO UPDATE`: a day's or month's rollup row (aliased `alias`) takes the new
    /// sums only where they differ, so an unchanged one is not rewritten. `hourFigures`: the row
    /// also keeps the largest hour and the open hours (the per-asset rows, not the per-exchange ones).
    static func replaceRollup(key: StaticString, alias: StaticString, hourFigures: Bool) -> SQLFragment {
        let a = SQLFragment(alias)
        let extra = hourFigures
            ? SQLFragment(", max_hour_amount = excluded.max_hour_amount, open_hours = excluded.open_hours") : SQLFragment("")
        let kept = hourFigures
            ? a + SQLFragment(".hours_covered, ") + a + SQLFragment(".max_hour_amount, ") + a + SQLFragment(".open_hours, ") + a
                + SQLFragment(".updated_at) IS DISTINCT FROM (excluded.hours_covered, excluded.max_hour_amount, excluded.open_hours, excluded.updated_at)")
            : a + SQLFragment(".hours_covered, ") + a + SQLFragment(".updated_at) IS DISTINCT FROM (excluded.hours_covered, excluded.updated_at)")
        return SQLFragment("ON CONFLICT (") + SQLFragment(key) + SQLFragment(") DO UPDATE SET hours_covered = excluded.hours_covered, ")
            + FigureColumns.assignments(from: "excluded") + extra
            + SQLFragment(", updated_at = excluded.updated_at WHERE (") + kept + SQLFragment(" OR ")
            + FigureColumns.differ(alias, "excluded")
    }
}
