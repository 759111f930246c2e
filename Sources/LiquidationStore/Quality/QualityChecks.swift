import LiquidationModel

/// The SQL of `liqsync verify`'s checks. Each returns (asset, start, end, detail) rows; `$1` the
/// assets (text[] or NULL), `$2`/`$3` the time range (or NULL) they are limited to.
enum QualityChecks {
    /// The rows of the checked range: `x` the assets of `$1` (all when NULL), their hours in
    /// `[$2, $3)` (unbounded where NULL).
    static let scope = """
        ($1::text[] IS NULL OR x.asset = ANY($1::text[]))
        AND ($2::timestamptz IS NULL OR x.interval_start >= $2::timestamptz)
        AND ($3::timestamptz IS NULL OR x.interval_start < $3::timestamptz)
        """

    /// Amounts compared within a relative 1e-9 (upstream totals are float sums).
    static func amountsDiffer(_ a: String, _ b: String) -> String {
        "abs((\(a)) - (\(b))) > 1e-9 * greatest(abs(\(b)), 1)"
    }

    /// Every hourly and exchange row with its figures, `source` naming which.
    static let figureRows = """
        (SELECT asset, interval_start, 'hourly' AS source, \(FigureColumns.list()) FROM liquidations.token_interval
         UNION ALL
         SELECT asset, interval_start, 'exchange ' || exchange, \(FigureColumns.list()) FROM liquidations.token_interval_exchange)
        """

    /// The days (and exchanges) whose rollup row disagrees with the sums of the stored hours of
    /// `hours`: missing, without hours, or different. Whole UTC days the scope's range touches.
    static func rollupDisagreements(hours: String, rollup: String, exchange: Bool) -> String {
        let key = exchange ? "exchange" : "NULL::text"
        let columns = ["hours_covered"] + Measure.allCases.map { "\($0.name)" } + (exchange ? [] : ["max_hour_amount", "open_hours"])
        let figures = columns.joined(separator: ", ")
        let sums = "count(*)::integer, \(FigureColumns.sums())"
            + (exchange ? "" : ", max(total_amount), count(*) FILTER (WHERE is_open)::integer")
        // An asset-day's open hours are counted with its sums (token_day only).
        let source = exchange
            ? "liquidations.\(hours)"
            : "(SELECT t.*, o.asset IS NOT NULL AS is_open FROM liquidations.\(hours) AS t "
                + "LEFT JOIN liquidations.emptied_hour AS o USING (asset, interval_start)) AS t"
        let assets = "($1::text[] IS NULL OR asset = ANY($1::text[]))"
        let firstDay = "($2::timestamptz AT TIME ZONE 'UTC')::date"
        let endDay = "((($3::timestamptz - interval '1 hour') AT TIME ZONE 'UTC')::date + 1)"
        return """
            SELECT coalesce(h.asset, d.asset), coalesce(h.day, d.day)::timestamp AT TIME ZONE 'UTC',
                   (coalesce(h.day, d.day) + 1)::timestamp AT TIME ZONE 'UTC',
                   'daily rollup' || coalesce(' of ' || coalesce(h.k, d.k), '') || CASE
                       WHEN d.asset IS NULL THEN ': missing for hours stored'
                       WHEN h.asset IS NULL THEN ': a row without stored hours'
                       ELSE ': differs from the sums of its hours' END
            FROM (SELECT asset, (interval_start AT TIME ZONE 'UTC')::date AS day, \(key) AS k, \(sums)
                  FROM \(source)
                  WHERE \(assets)
                    AND ($2::timestamptz IS NULL OR interval_start >= \(firstDay)::timestamp AT TIME ZONE 'UTC')
                    AND ($3::timestamptz IS NULL OR interval_start < \(endDay)::timestamp AT TIME ZONE 'UTC')
                  GROUP BY 1, 2, 3) AS h (asset, day, k, \(figures))
            FULL JOIN (SELECT asset, day, \(key) AS k, \(figures)
                       FROM liquidations.\(rollup)
                       WHERE \(assets) AND ($2::timestamptz IS NULL OR day >= \(firstDay))
                         AND ($3::timestamptz IS NULL OR day < \(endDay))) AS d
                   ON d.asset = h.asset AND d.day = h.day AND d.k IS NOT DISTINCT FROM h.k
            WHERE d.asset IS NULL OR h.asset IS NULL
               OR (\(columns.map { "h." + $0 }.joined(separator: ", ")))
                  IS DISTINCT FROM (\(columns.map { "d." + $0 }.joined(separator: ", ")))
            """
    }

    /// The months (and exchanges) whose monthly rollup disagrees with the sums of its daily
    /// rollups: missing, without days, or different. Whole months the scope's range touches.
    static func monthDisagreements(days: String, rollup: String, exchange: Bool) -> String {
        let key = exchange ? "exchange" : "NULL::text"
        let columns = ["hours_covered"] + Measure.allCases.map { "\($0.name)" } + (exchange ? [] : ["max_hour_amount", "open_hours"])
        let figures = columns.joined(separator: ", ")
        let sums = "sum(hours_covered)::integer, \(FigureColumns.sums())"
            + (exchange ? "" : ", max(max_hour_amount), sum(open_hours)::integer")
        let assets = "($1::text[] IS NULL OR asset = ANY($1::text[]))"
        let firstMonth = "date_trunc('month', $2::timestamptz AT TIME ZONE 'UTC')::date"
        let endMonth = "(date_trunc('month', ($3::timestamptz - interval '1 hour') AT TIME ZONE 'UTC') + interval '1 month')::date"
        return """
            SELECT coalesce(h.asset, m.asset), coalesce(h.month, m.month)::timestamp AT TIME ZONE 'UTC',
                   (coalesce(h.month, m.month) + interval '1 month')::timestamp AT TIME ZONE 'UTC',
                   'monthly rollup' || coalesce(' of ' || coalesce(h.k, m.k), '') || CASE
                       WHEN m.asset IS NULL THEN ': missing for days stored'
                       WHEN h.asset IS NULL THEN ': a row without stored days'
                       ELSE ': differs from the sums of its days' END
            FROM (SELECT asset, date_trunc('month', day)::date AS month, \(key) AS k, \(sums)
                  FROM liquidations.\(days)
                  WHERE \(assets) AND ($2::timestamptz IS NULL OR day >= \(firstMonth))
                    AND ($3::timestamptz IS NULL OR day < \(endMonth))
                  GROUP BY 1, 2, 3) AS h (asset, month, k, \(figures))
            FULL JOIN (SELECT asset, month, \(key) AS k, \(figures)
                       FROM liquidations.\(rollup)
                       WHERE \(assets) AND ($2::timestamptz IS NULL OR month >= \(firstMonth))
                         AND ($3::timestamptz IS NULL OR month < \(endMonth))) AS m
                   ON m.asset = h.asset AND m.month = h.month AND m.k IS NOT DISTINCT FROM h.k
            WHERE m.asset IS NULL OR h.asset IS NULL
               OR (\(columns.map { "h." + $0 }.joined(separator: ", ")))
                  IS DISTINCT FROM (\(columns.map { "m." + $0 }.joined(separator: ", ")))
            """
    }

    /// The running totals per exchange (`token_day_exchange_running`, migration 0017) that do not
    /// follow from the asset's previous running day and the day's own rows: each day's totals must
    /// be the previous day's plus the daily row, for every exchange either has. From the scope's
    /// first day to each asset's last one: a change to a day carries on to every day after it.
    /// A row of zeros may stand before an exchange's first day.
    static var runningDisagreements: String {
        let assets = "($1::text[] IS NULL OR asset = ANY($1::text[]))"
        let fromFirstDay = "($2::timestamptz IS NULL OR day >= ($2::timestamptz AT TIME ZONE 'UTC')::date)"
        let columns = ["hours_covered"] + Measure.allCases.map { "\($0.name)" }
        func list(_ alias: String) -> String { columns.map { "\(alias).\($0)" }.joined(separator: ", ") }
        return """
            WITH days AS (
                SELECT asset, day FROM liquidations.token_day_exchange_running WHERE \(assets) AND \(fromFirstDay)
                UNION
                SELECT asset, day FROM liquidations.token_day_exchange WHERE \(assets) AND \(fromFirstDay)
            ), steps AS (
                SELECT d.asset, d.day, (SELECT max(p.day) FROM liquidations.token_day_exchange_running AS p
                                        WHERE p.asset = d.asset AND p.day < d.day) AS base_day
                FROM days AS d
            ), expected AS (
                SELECT s.asset, s.day, e.*
                FROM steps AS s
                -- Two small sets per day, joined where they are read: joined to the whole tables,
                -- the planner (expecting far more days) hashes every row of both.
                CROSS JOIN LATERAL (
                    SELECT coalesce(b.exchange, t.exchange) AS exchange,
                           \(columns.map { "coalesce(b.\($0), 0) + coalesce(t.\($0), 0) AS \($0)" }.joined(separator: ", "))
                    FROM (SELECT * FROM liquidations.token_day_exchange_running
                          WHERE asset = s.asset AND day = s.base_day) AS b
                    FULL JOIN (SELECT * FROM liquidations.token_day_exchange
                               WHERE asset = s.asset AND day = s.day) AS t ON t.exchange = b.exchange) AS e
            )
            SELECT coalesce(x.asset, r.asset), coalesce(x.day, r.day)::timestamp AT TIME ZONE 'UTC',
                   (coalesce(x.day, r.day) + 1)::timestamp AT TIME ZONE 'UTC',
                   'running totals of ' || coalesce(x.exchange, r.exchange) || CASE
                       WHEN r.asset IS NULL THEN ': missing for the daily rows stored'
                       WHEN x.asset IS NULL THEN ': a row the daily rows do not explain'
                       ELSE ': differ from the day before plus the day''s rows' END
            FROM expected AS x
            FULL JOIN (SELECT * FROM liquidations.token_day_exchange_running WHERE \(assets) AND \(fromFirstDay)) AS r
                   ON r.asset = x.asset AND r.day = x.day AND r.exchange = x.exchange
            WHERE r.asset IS NULL
               OR (x.asset IS NULL AND (\(list("r"))) IS DISTINCT FROM (\(columns.map { _ in "0" }.joined(separator: ", "))))
               OR (x.asset IS NOT NULL AND (\(list("x"))) IS DISTINCT FROM (\(list("r"))))
            """
    }

    /// The exchanges and months whose sums across assets (`liquidations.exchange_monthly`, from
    /// the changes its triggers log, migration 0015) differ from the sums of every asset's monthly
    /// rollup: 185,000 rows at 500 assets and three years, grouped once.
    static let exchangeMonthDisagreements = """
        SELECT '(all assets)', coalesce(s.month, v.month)::timestamp AT TIME ZONE 'UTC',
               (coalesce(s.month, v.month) + interval '1 month')::timestamp AT TIME ZONE 'UTC',
               'liquidations.exchange_monthly of ' || coalesce(s.exchange, v.exchange) || CASE
                   WHEN v.month IS NULL THEN ': missing for the assets'' months stored'
                   WHEN s.month IS NULL THEN ': a row without any asset''s month'
                   ELSE ': differs from the sums of the assets'' months' END
        FROM (SELECT exchange, month, count(*)::integer AS assets, \(FigureColumns.sums())
              FROM liquidations.token_month_exchange
              GROUP BY exchange, month) AS s (exchange, month, assets, \(FigureColumns.list()))
        FULL JOIN (SELECT exchange, month, assets, \(Measure.allCases.map { "\($0.viewColumn) AS \($0.name)" }.joined(separator: ", "))
                   FROM liquidations.exchange_monthly) AS v
               ON v.exchange = s.exchange AND v.month = s.month
        WHERE v.month IS NULL OR s.month IS NULL
           OR (s.assets, \(Measure.allCases.map { "s.\($0.name)" }.joined(separator: ", ")))
              IS DISTINCT FROM (v.assets, \(Measure.allCases.map { "v.\($0.name)" }.joined(separator: ", ")))
        ORDER BY 2, 4
        """

    /// Through the daily rollups, over every asset's whole history: the days that may hold a gap
    /// (asset, day): a day below the watermark without a rollup, or with fewer hours than it
    /// should have, and every day at the edge of an asset's range (partly inside it), whose
    /// count alone proves nothing. `gapsOnDays` then finds the missing hours in them.
    static let daysThatMayHoldGaps = """
        SELECT g.asset, g.day::date
        FROM (SELECT a.asset, d.day,
                     greatest(a.sync_from, d.day::timestamp AT TIME ZONE 'UTC') AS first_hour,
                     least(a.watermark, (d.day::date + 1)::timestamp AT TIME ZONE 'UTC') AS end_hour
              FROM liquidations.asset AS a
              CROSS JOIN LATERAL generate_series(
                  (a.sync_from AT TIME ZONE 'UTC')::date, ((a.watermark - interval '1 hour') AT TIME ZONE 'UTC')::date,
                  interval '1 day') AS d(day)
              WHERE a.watermark > a.sync_from) AS g
        LEFT JOIN liquidations.token_day AS t ON t.asset = g.asset AND t.day = g.day::date
        WHERE t.asset IS NULL OR g.end_hour - g.first_hour < interval '1 day'
           OR t.hours_covered < extract(epoch FROM g.end_hour - g.first_hour) / 3600
        ORDER BY 1, 2
        """

    /// The gaps below the watermark in the days `$1` (assets, text[]) `$2` (days, date[]), hour
    /// by hour; reported as the gap check reports them. Each expected hour is looked up in the
    /// primary key (a lateral lookup): the planner, which cannot tell how few hours the days
    /// hold, would otherwise read every stored hour for an anti-join.
    static let gapsOnDays = """
        WITH expected AS (
            SELECT a.asset, h AS interval_start
            FROM unnest($1::text[], $2::date[]) AS d(asset, day)
            JOIN liquidations.asset AS a ON a.asset = d.asset
            CROSS JOIN LATERAL generate_series(
                greatest(a.sync_from, d.day::timestamp AT TIME ZONE 'UTC'),
                least(a.watermark, (d.day + 1)::timestamp AT TIME ZONE 'UTC') - interval '1 hour',
                interval '1 hour') AS h
        ), missing AS (
            SELECT e.asset, e.interval_start,
                   e.interval_start - row_number() OVER (PARTITION BY e.asset ORDER BY e.interval_start)
                       * interval '1 hour' AS island
            FROM expected AS e
            LEFT JOIN LATERAL (SELECT true AS stored FROM liquidations.token_interval AS t
                               WHERE t.asset = e.asset AND t.interval_start = e.interval_start LIMIT 1) AS s ON true
            WHERE s.stored IS NULL
        )
        SELECT asset, min(interval_start), max(interval_start) + interval '1 hour',
               count(*) || ' hour(s) missing below the watermark'
        FROM missing GROUP BY asset, island ORDER BY asset, min(interval_start)
        """

    /// Every check but the gaps, which a verification of the changed days finds through the
    /// rollups (`daysThatMayHoldGaps`, `gapsOnDays`).
    static var rowChecks: [(QualityProblem.Kind, String)] { checks.filter { $0.0 != .gap } }

    static let checks: [(QualityProblem.Kind, String)] = [
        (.gap, """
            WITH expected AS (
                SELECT a.asset, h AS interval_start
                FROM liquidations.asset AS a
                CROSS JOIN LATERAL generate_series(
                    greatest(a.sync_from, coalesce($2::timestamptz, a.sync_from)),
                    least(a.watermark, coalesce($3::timestamptz, a.watermark)) - interval '1 hour',
                    interval '1 hour') AS h
                WHERE ($1::text[] IS NULL OR a.asset = ANY($1::text[]))
            ), missing AS (
                SELECT e.asset, e.interval_start,
                       e.interval_start - row_number() OVER (PARTITION BY e.asset ORDER BY e.interval_start)
                           * interval '1 hour' AS island
                FROM expected AS e
                WHERE NOT EXISTS (SELECT 1 FROM liquidations.token_interval AS t
                                  WHERE t.asset = e.asset AND t.interval_start = e.interval_start)
            )
            SELECT asset, min(interval_start), max(interval_start) + interval '1 hour',
                   count(*) || ' hour(s) missing below the watermark'
            FROM missing GROUP BY asset, island ORDER BY asset, min(interval_start)
            """),
        (.misalignedHour, """
            SELECT x.asset, x.interval_start, NULL::timestamptz, x.source || ' row does not start on a whole hour'
            FROM (SELECT asset, interval_start, 'hourly' AS source FROM liquidations.token_interval
                  UNION ALL
                  SELECT asset, interval_start, 'exchange ' || exchange FROM liquidations.token_interval_exchange) AS x
            WHERE extract(epoch FROM x.interval_start)::numeric % 3600 <> 0 AND \(scope)
            ORDER BY 1, 2
            """),
        (.longShortMismatch, """
            SELECT x.asset, x.interval_start, NULL::timestamptz,
                   x.source || ': long ' || x.long_trades || ' + short ' || x.short_trades || ' trades vs total '
                       || x.total_trades || '; long ' || x.long_amount || ' + short ' || x.short_amount || ' USD vs total '
                       || x.total_amount
            FROM \(figureRows) AS x
            WHERE (x.long_trades + x.short_trades <> x.total_trades
                   OR \(amountsDiffer("x.long_amount + x.short_amount", "x.total_amount"))) AND \(scope)
            ORDER BY 1, 2
            """),
        (.exchangeSumMismatch, """
            SELECT x.asset, x.interval_start, NULL::timestamptz,
                   'totals ' || x.total_trades || ' trades / ' || x.total_amount || ' USD vs exchanges '
                       || coalesce(e.trades, 0) || ' / ' || coalesce(e.amount, 0)
            FROM liquidations.token_interval AS x
            LEFT JOIN (SELECT x.asset, x.interval_start, sum(x.total_trades) AS trades, sum(x.total_amount) AS amount
                       FROM liquidations.token_interval_exchange AS x WHERE \(scope)
                       GROUP BY x.asset, x.interval_start) AS e
                   USING (asset, interval_start)
            WHERE (x.total_trades <> coalesce(e.trades, 0) OR \(amountsDiffer("coalesce(e.amount, 0)", "x.total_amount")))
              AND \(scope)
            ORDER BY 1, 2
            """),
        (.negativeValue, """
            SELECT x.asset, x.interval_start, NULL::timestamptz, x.source || ' has a negative count or amount'
            FROM \(figureRows) AS x
            WHERE \(FigureColumns.anyNegative("x")) AND \(scope)
            ORDER BY 1, 2
            """),
        (.orphanExchangeRow, """
            SELECT x.asset, x.interval_start, NULL::timestamptz,
                   'exchange ' || x.exchange || CASE WHEN t.asset IS NULL THEN ' row without its hourly row'
                                                     ELSE ' is not in liquidations.exchange' END
            FROM liquidations.token_interval_exchange AS x
            LEFT JOIN liquidations.token_interval AS t ON t.asset = x.asset AND t.interval_start = x.interval_start
            LEFT JOIN liquidations.exchange AS d ON d.exchange = x.exchange
            WHERE (t.asset IS NULL OR d.exchange IS NULL) AND \(scope)
            ORDER BY 1, 2
            """),
        (.orphanHour, """
            SELECT x.asset, x.interval_start, NULL::timestamptz, 'hourly row of an asset that is not tracked'
            FROM liquidations.token_interval AS x
            WHERE NOT EXISTS (SELECT 1 FROM liquidations.asset AS a WHERE a.asset = x.asset) AND \(scope)
            ORDER BY 1, 2
            """),
        (.rollupMismatch,
         rollupDisagreements(hours: "token_interval", rollup: "token_day", exchange: false) + " UNION ALL "
            + rollupDisagreements(hours: "token_interval_exchange", rollup: "token_day_exchange", exchange: true) + " UNION ALL "
            + monthDisagreements(days: "token_day", rollup: "token_month", exchange: false) + " UNION ALL "
            + monthDisagreements(days: "token_day_exchange", rollup: "token_month_exchange", exchange: true)
            + " UNION ALL (" + runningDisagreements + ") ORDER BY 1, 2"),
    ]
}
