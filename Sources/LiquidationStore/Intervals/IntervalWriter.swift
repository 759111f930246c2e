import Foundation
import LiquidationModel
import Postgres

/// The one write path for hourly data, used by sync and backfill alike.
///
/// A chunk is staged with COPY into session-local temporary tables, then merged with a few
/// set-based statements, all in one transaction together with the watermark and the audit row:
/// a crash at any instant leaves either the whole chunk or none of it. Rows whose values did
/// not change are not touched (`IS DISTINCT FROM`), so a re-read of unchanged hours writes no
/// tuple and moves no `updated_at`.
public struct IntervalWriter: Sendable {
    public init() {}

    /// Writes the chunk; `alsoInTransaction` runs in the same transaction after it (a
    /// backfill records its progress there, so progress and data commit together).
    public func write(
        _ chunk: ChunkWrite, on connection: PostgresConnection,
        alsoInTransaction: (@Sendable (isolated PostgresConnection) throws -> Void)? = nil
    ) async throws -> ChunkWriteResult {
        do {
            return try await connection.withTransaction { connection in
                let result = try Self.write(chunk, connection: connection)
                try alsoInTransaction?(connection)
                return result
            }
        } catch let error as PostgresError {
            throw StoreError.wrap(error, "writing \(chunk.asset) \(chunk.window)")
        }
    }

    static let stagingTables = """
        CREATE TEMPORARY TABLE IF NOT EXISTS liqsync_stage_interval (
            interval_start timestamptz NOT NULL,
            total_trades bigint NOT NULL, total_amount numeric NOT NULL,
            long_trades bigint NOT NULL, long_amount numeric NOT NULL,
            short_trades bigint NOT NULL, short_amount numeric NOT NULL
        ) ON COMMIT DELETE ROWS;
        CREATE TEMPORARY TABLE IF NOT EXISTS liqsync_stage_exchange (
            interval_start timestamptz NOT NULL, exchange text NOT NULL,
            total_trades bigint NOT NULL, total_amount numeric NOT NULL,
            long_trades bigint NOT NULL, long_amount numeric NOT NULL,
            short_trades bigint NOT NULL, short_amount numeric NOT NULL
        ) ON COMMIT DELETE ROWS;
        """

    static func write(_ chunk: ChunkWrite, connection: isolated PostgresConnection) throws -> ChunkWriteResult {
        let asset = chunk.asset
        let start = chunk.window.start
        let end = chunk.window.end
        try connection.execute(script: stagingTables, label: "staging tables")

        // Every hour of the window gets a row: the API omits hours without liquidations.
        var byHour: [UTCHour: IntervalRecord] = [:]
        byHour.reserveCapacity(chunk.records.count)
        for record in chunk.records { byHour[record.hour] = record }
        try connection.copyIn(
            "COPY liqsync_stage_interval (interval_start, total_trades, total_amount, long_trades, long_amount, short_trades, short_amount) FROM STDIN"
        ) { writer in
            for hour in chunk.window.hours {
                let figures = byHour[hour]?.totals ?? .zero
                try writer.writeRow(
                    hour, figures.totalTrades, figures.totalAmount, figures.longTrades, figures.longAmount,
                    figures.shortTrades, figures.shortAmount)
            }
        }
        let stagedExchanges = try connection.copyIn(
            "COPY liqsync_stage_exchange (interval_start, exchange, total_trades, total_amount, long_trades, long_amount, short_trades, short_amount) FROM STDIN"
        ) { writer in
            for record in chunk.records {
                for exchange in record.exchanges {
                    let figures = exchange.figures
                    try writer.writeRow(
                        record.hour, exchange.exchange, figures.totalTrades, figures.totalAmount, figures.longTrades,
                        figures.longAmount, figures.shortTrades, figures.shortAmount)
                }
            }
        }

        var result = ChunkWriteResult(watermark: start)
        let totals = try connection.query(
            """
            WITH written AS (
                INSERT INTO liquidations.token_interval AS t
                    (asset, interval_start, total_trades, total_amount, long_trades, long_amount,
                     short_trades, short_amount, data_version)
                SELECT \(asset), s.interval_start, s.total_trades, s.total_amount, s.long_trades, s.long_amount,
                       s.short_trades, s.short_amount, \(chunk.dataVersion)
                FROM liqsync_stage_interval AS s
                ON CONFLICT (asset, interval_start) DO UPDATE
                SET total_trades = excluded.total_trades, total_amount = excluded.total_amount,
                    long_trades = excluded.long_trades, long_amount = excluded.long_amount,
                    short_trades = excluded.short_trades, short_amount = excluded.short_amount,
                    data_version = excluded.data_version, updated_at = now()
                WHERE (t.total_trades, t.total_amount, t.long_trades, t.long_amount, t.short_trades, t.short_amount)
                      IS DISTINCT FROM
                      (excluded.total_trades, excluded.total_amount, excluded.long_trades, excluded.long_amount,
                       excluded.short_trades, excluded.short_amount)
                RETURNING (xmax = 0) AS inserted
            )
            SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM written
            """, name: "upsert hourly totals"
        ).rows[0].decode(Int.self, Int.self)
        result.hoursInserted = totals.0
        result.hoursUpdated = totals.1
        result.hoursUnchanged = chunk.window.hourCount - totals.0 - totals.1

        // New exchange codes get a row (named later, or by the shipped list).
        try connection.query(
            """
            INSERT INTO liquidations.exchange (exchange)
            SELECT DISTINCT exchange FROM liqsync_stage_exchange
            ON CONFLICT (exchange) DO NOTHING
            """, name: "register exchanges")

        // An exchange that is gone from an hour upstream is gone here too.
        result.exchangeRowsDeleted = try connection.query(
            """
            DELETE FROM liquidations.token_interval_exchange AS e
            WHERE e.asset = \(asset) AND e.interval_start >= \(start) AND e.interval_start < \(end)
              AND NOT EXISTS (
                  SELECT 1 FROM liqsync_stage_exchange AS s
                  WHERE s.interval_start = e.interval_start AND s.exchange = e.exchange)
            """, name: "delete vanished exchange rows"
        ).affectedRows

        let exchanges = try connection.query(
            """
            WITH written AS (
                INSERT INTO liquidations.token_interval_exchange AS t
                    (asset, interval_start, exchange, total_trades, total_amount, long_trades, long_amount,
                     short_trades, short_amount)
                SELECT \(asset), s.interval_start, s.exchange, s.total_trades, s.total_amount, s.long_trades,
                       s.long_amount, s.short_trades, s.short_amount
                FROM liqsync_stage_exchange AS s
                ON CONFLICT (asset, interval_start, exchange) DO UPDATE
                SET total_trades = excluded.total_trades, total_amount = excluded.total_amount,
                    long_trades = excluded.long_trades, long_amount = excluded.long_amount,
                    short_trades = excluded.short_trades, short_amount = excluded.short_amount,
                    updated_at = now()
                WHERE (t.total_trades, t.total_amount, t.long_trades, t.long_amount, t.short_trades, t.short_amount)
                      IS DISTINCT FROM
                      (excluded.total_trades, excluded.total_amount, excluded.long_trades, excluded.long_amount,
                       excluded.short_trades, excluded.short_amount)
                RETURNING (xmax = 0) AS inserted
            )
            SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM written
            """, name: "upsert exchange rows"
        ).rows[0].decode(Int.self, Int.self)
        result.exchangeRowsInserted = exchanges.0
        result.exchangeRowsUpdated = exchanges.1
        result.exchangeRowsUnchanged = stagedExchanges - exchanges.0 - exchanges.1

        // The watermark moves only forward, and only over a contiguous range: a chunk that starts
        // at or below it extends it; one that would leave a gap does not move it. A sync chunk
        // also clears the asset's last error.
        let watermark = try connection.query(
            """
            UPDATE liquidations.asset
            SET watermark = CASE WHEN watermark >= \(start) THEN greatest(watermark, \(end)) ELSE watermark END,
                last_synced_at = CASE WHEN \(chunk.kind.rawValue) = 'sync' THEN now() ELSE last_synced_at END,
                last_error = CASE WHEN \(chunk.kind.rawValue) = 'sync' THEN NULL ELSE last_error END,
                last_error_at = CASE WHEN \(chunk.kind.rawValue) = 'sync' THEN NULL ELSE last_error_at END
            WHERE asset = \(asset)
            RETURNING watermark
            """, name: "advance watermark"
        ).rows.first
        guard let watermark else { throw StoreError.assetNotTracked(asset) }
        result.watermark = try watermark.decode(UTCHour.self, at: 0)

        try connection.query(
            """
            INSERT INTO liquidations.sync_run
                (asset, kind, window_start, window_end, status, pages, hours_received, rows_inserted, rows_updated,
                 rows_deleted, rows_unchanged, data_version, started_at)
            VALUES (\(asset), \(chunk.kind.rawValue), \(start), \(end), 'ok', \(chunk.pages), \(chunk.records.count),
                    \(result.rowsInserted), \(result.rowsUpdated), \(result.rowsDeleted), \(result.rowsUnchanged),
                    \(chunk.dataVersion), \(chunk.startedAt))
            """, name: "record sync run")
        return result
    }
}
