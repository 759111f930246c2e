import LiquidationModel
import Postgres

/// One way a stored range differs from what the source says now.
public struct SourceDifference: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        /// Stored and source figures differ.
        case differs
        /// The source has it; nothing is stored (an hour missing from a dense range, or an
        /// exchange an hour lacks).
        case missing
        /// Stored, but the source no longer has it (an exchange).
        case extra
    }

    public let asset: AssetCode
    public let hour: UTCHour
    /// Nil: the hour's totals.
    public let exchange: String?
    public let kind: Kind
    public let stored: LiquidationFigures?
    public let source: LiquidationFigures?

    public init(
        asset: AssetCode, hour: UTCHour, exchange: String?, kind: Kind, stored: LiquidationFigures?,
        source: LiquidationFigures?
    ) {
        self.asset = asset
        self.hour = hour
        self.exchange = exchange
        self.kind = kind
        self.stored = stored
        self.source = source
    }
}

/// Compares a stored range with records fetched from the source, value by value (numbers as
/// numbers: `1.50` equals `1.5`), never by fingerprint, so rows edited in the tables are found
/// too. Hours the source leaves out are zero, as the writer stores them. Read-only.
public enum SourceComparison {
    public static func differences(
        asset: AssetCode, window: HourWindow, records: [IntervalRecord], on connection: PostgresConnection
    ) async throws -> [SourceDifference] {
        try await storeOperation("comparing \(asset) \(window) with the source") {
            try await connection.withTransaction { connection in
                _ = try StagedMerge.stage(ChangedHours(everyHourOf: window, records: records), connection: connection)
                let hours = try hourDifferences(asset: asset, window: window, connection: connection)
                let exchanges = try exchangeDifferences(asset: asset, window: window, connection: connection)
                return (hours + exchanges).sorted { ($0.hour, $0.exchange ?? "") < ($1.hour, $1.exchange ?? "") }
            }
        }
    }

    private static func hourDifferences(asset: AssetCode, window: HourWindow, connection: isolated PostgresConnection)
        throws -> [SourceDifference]
    {
        try connection.query(
            """
            SELECT s.interval_start, t.interval_start IS NULL,
                   \(sql: FigureColumns.readable("t")), \(sql: FigureColumns.readable("s"))
            FROM liqsync_stage_interval AS s
            LEFT JOIN liquidations.token_interval AS t ON t.asset = \(asset) AND t.interval_start = s.interval_start
            WHERE t.interval_start IS NULL OR \(sql: FigureColumns.differ("t", "s"))
            """, name: "compare hours"
        ).rows.map { row in
            let hour = try row.decode(UTCHour.self, at: 0)
            let missing = try row.decode(Bool.self, at: 1)
            return SourceDifference(
                asset: asset, hour: hour, exchange: nil, kind: missing ? .missing : .differs,
                stored: try LiquidationFigures(row: row, from: 2), source: try LiquidationFigures(row: row, from: 8))
        }
    }

    private static func exchangeDifferences(asset: AssetCode, window: HourWindow, connection: isolated PostgresConnection)
        throws -> [SourceDifference]
    {
        try connection.query(
            """
            SELECT coalesce(s.interval_start, e.interval_start), coalesce(s.exchange, e.exchange),
                   CASE WHEN e.exchange IS NULL THEN 'missing' WHEN s.exchange IS NULL THEN 'extra' ELSE 'differs' END,
                   \(sql: FigureColumns.readable("e")), \(sql: FigureColumns.readable("s"))
            FROM liqsync_stage_exchange AS s
            FULL JOIN (
                SELECT * FROM liquidations.token_interval_exchange
                WHERE asset = \(asset) AND interval_start >= \(window.start) AND interval_start < \(window.end)
            ) AS e ON e.interval_start = s.interval_start AND e.exchange = s.exchange
            WHERE e.exchange IS NULL OR s.exchange IS NULL OR \(sql: FigureColumns.differ("e", "s"))
            """, name: "compare exchanges"
        ).rows.map { row in
            let (hour, exchange, kind) = try row.decode(UTCHour.self, String.self, String.self)
            return SourceDifference(
                asset: asset, hour: hour, exchange: exchange, kind: SourceDifference.Kind(rawValue: kind) ?? .differs,
                stored: try LiquidationFigures(row: row, from: 3), source: try LiquidationFigures(row: row, from: 9))
        }
    }
}
