import FoundationEssentials
import LiquidationModel
import Postgres

/// One finding of `liqsync verify`.
public struct QualityProblem: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        /// Hours missing below the watermark (the dense-series promise broken).
        case gap
        /// A row whose hour does not start on a whole hour.
        case misalignedHour = "misaligned_hour"
        /// long + short != total (trades exactly, amounts within a relative 1e-9).
        case longShortMismatch = "long_short_mismatch"
        /// An hour's totals differ from the sum of its exchange rows.
        case exchangeSumMismatch = "exchange_sum_mismatch"
        /// A count or an amount below zero.
        case negativeValue = "negative_value"
        /// An exchange row whose hour is not in `token_interval`, or whose exchange is not in
        /// `liquidations.exchange` (what foreign keys checked before migration 0007).
        case orphanExchangeRow = "orphan_exchange_row"
        /// An hourly row whose asset is not in `liquidations.asset` (what a foreign key checked
        /// before migration 0008).
        case orphanHour = "orphan_hour"
        /// A day whose rollup row (`token_day`, `token_day_exchange`, migration 0012) is missing,
        /// has no stored hours, or differs from the sums of its stored hours.
        case rollupMismatch = "rollup_mismatch"
    }

    public let kind: Kind
    public let asset: String
    public let start: Date
    /// For gaps: the end of the missing range (exclusive).
    public let end: Date?
    public let detail: String
}

/// Data-quality checks over what is stored; read-only.
public struct DataQuality: Sendable {
    public let connection: PostgresConnection
    /// At most this many findings per kind are listed (all are counted).
    public var limitPerKind = 50

    public init(connection: PostgresConnection) {
        self.connection = connection
    }

    public struct Report: Sendable {
        public init() {}
        public var problems: [QualityProblem] = []
        public var counts: [QualityProblem.Kind: Int] = [:]
        public var hoursChecked: Int64 = 0
        public var isClean: Bool { counts.values.allSatisfy { $0 == 0 } }
    }

    public func run(assets: [AssetCode]?, from: UTCHour?, to: UTCHour?) async throws -> Report {
        let names = assets?.map(\.rawValue)
        let limitPerKind = self.limitPerKind
        return try await storeOperation("verifying the data") {
            // One snapshot for every check.
            try await connection.withTransaction { connection in
                var report = Report()
                try connection.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                report.hoursChecked = try connection.query(
                    """
                    SELECT count(*) FROM liquidations.token_interval
                    WHERE (\(names)::text[] IS NULL OR asset = ANY(\(names)::text[]))
                      AND (\(from)::timestamptz IS NULL OR interval_start >= \(from))
                      AND (\(to)::timestamptz IS NULL OR interval_start < \(to))
                    """, name: "verify.count").scalar(Int64.self)
                for (kind, sql) in Self.checks {
                    let query = PostgresQuery(
                        unsafeSQL: sql, binds: [names.postgresText, from.postgresText, to.postgresText], name: "verify.\(kind.rawValue)")
                    let rows = try connection.query(query).rows
                    report.counts[kind] = rows.count
                    for row in rows.prefix(limitPerKind) {
                        let (asset, start, end, detail) = try row.decode(String.self, Date.self, Date?.self, String.self)
                        report.problems.append(QualityProblem(kind: kind, asset: asset, start: start, end: end, detail: detail))
                    }
                }
                return report
            }
        }
    }

    /// Each check returns (asset, start, end, detail) rows. `$1` assets (text[] or NULL),
    /// `$2`/`$3` the time range (or NULL).
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
            LEFT JOIN (SELECT asset, interval_start, sum(total_trades) AS trades, sum(total_amount) AS amount
                       FROM liquidations.token_interval_exchange GROUP BY asset, interval_start) AS e
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
            + rollupDisagreements(hours: "token_interval_exchange", rollup: "token_day_exchange", exchange: true)
            + " ORDER BY 1, 2"),
    ]
}
