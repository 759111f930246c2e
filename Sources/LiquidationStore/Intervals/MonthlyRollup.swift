import LiquidationModel
import Postgres

/// The monthly rollups (`token_month`, `token_month_exchange`, migration 0013), kept exact in the
/// chunk's transaction: after a chunk's days are rolled up (`DailyRollup`), every calendar month
/// (UTC) holding one of them is summed again from its daily rollups, a month being at most 31 days
/// (and exchanges) of one asset. A month's row is updated in place, only where its sums changed.
enum MonthlyRollup {
    /// Sums again the months of `asset` that hold the days `[days.start, days.end)` (UTC day
    /// starts), in the caller's transaction, after the days are written.
    static func refresh(_ asset: AssetCode, days: HourWindow, connection: isolated PostgresConnection) throws {
        let months = self.months(holding: days)
        try connection.query(
            """
            INSERT INTO liquidations.token_month AS m
                (asset, month, hours_covered, \(sql: FigureColumns.list()), max_hour_amount, open_hours, updated_at)
            SELECT asset, date_trunc('month', day)::date, sum(hours_covered), \(sql: FigureColumns.sums()),
                   max(max_hour_amount), sum(open_hours), max(updated_at)
            FROM liquidations.token_day
            WHERE asset = \(asset) AND day >= \(months.first)::date AND day < \(months.end)::date
            GROUP BY asset, date_trunc('month', day)::date
            \(sql: replaceMonth)
            """, name: "rollup.sum-months")
        try connection.query(
            """
            DELETE FROM liquidations.token_month_exchange AS m
            WHERE m.asset = \(asset) AND m.month >= \(months.first)::date AND m.month < \(months.end)::date
              AND NOT EXISTS (
                  SELECT 1 FROM liquidations.token_day_exchange AS d
                  WHERE d.asset = m.asset AND d.exchange = m.exchange
                    AND d.day >= m.month AND d.day < (m.month + interval '1 month')::date)
            """, name: "rollup.clear-exchange-months")
        try connection.query(
            """
            INSERT INTO liquidations.token_month_exchange AS m
                (asset, month, exchange, hours_covered, \(sql: FigureColumns.list()), updated_at)
            SELECT asset, date_trunc('month', day)::date, exchange, sum(hours_covered), \(sql: FigureColumns.sums()),
                   max(updated_at)
            FROM liquidations.token_day_exchange
            WHERE asset = \(asset) AND day >= \(months.first)::date AND day < \(months.end)::date
            GROUP BY asset, date_trunc('month', day)::date, exchange
            \(sql: replaceExchangeMonth)
            """, name: "rollup.sum-exchange-months")
    }

    /// The first day of the first month holding `days` and the first day after the last one, as
    /// `YYYY-MM-DD`.
    static func months(holding days: HourWindow) -> (first: String, end: String) {
        let (startYear, startMonth) = yearMonth(days.start)
        let (lastYear, lastMonth) = yearMonth(days.end.advanced(by: -1))
        let (endYear, endMonth) = lastMonth == 12 ? (lastYear + 1, 1) : (lastYear, lastMonth + 1)
        return (date(startYear, startMonth), date(endYear, endMonth))
    }

    private static func yearMonth(_ hour: UTCHour) -> (Int, Int) {
        let text = hour.description  // 2025-03-17T00:00:00Z
        return (Int(text.prefix(4))!, Int(text.dropFirst(5).prefix(2))!)
    }

    private static func date(_ year: Int, _ month: Int) -> String {
        "\(year)-" + (month < 10 ? "0" : "") + "\(month)-01"
    }

    private static let replaceMonth = DailyRollup.replaceRollup(key: "asset, month", alias: "m", hourFigures: true)
    private static let replaceExchangeMonth = DailyRollup.replaceRollup(key: "asset, month, exchange", alias: "m", hourFigures: false)
}
