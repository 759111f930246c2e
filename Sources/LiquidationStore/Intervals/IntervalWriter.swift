import FoundationEssentials
import LiquidationModel
import Postgres

/// The one write path for hourly data, used by sync and backfill alike.
///
/// Hours whose fingerprint (`HourFingerprint`) matches the stored one are left alone without
/// further work: re-reading unchanged hours costs one indexed read. A window with nothing stored
/// yet is copied straight into the tables. Otherwise the other hours are staged
/// with COPY into session-local temporary tables, then merged with a few set-based statements,
/// all in one transaction together with the watermark and the audit row: a crash at any instant
/// leaves either the whole chunk or none of it. Rows whose values did not change are not
/// touched (`IS DISTINCT FROM`), so a re-read writes no tuple and moves no `updated_at`.
///
/// Before anything is written, the chunk's guards (`ChunkGuards`) are checked against what is
/// stored: a window past the last settled hour, an answer that would empty many stored hours,
/// or an empty first load are refused, and the transaction rolls back with nothing changed.
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
            interval_start timestamptz NOT NULL, content_hash bigint NOT NULL,
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
        guard end <= chunk.guards.settledEnd else {
            throw StoreError.unsettledWindow(asset: asset, window: chunk.window, settledEnd: chunk.guards.settledEnd)
        }
        if EmptinessGuard.firstLoadCheckApplies(chunk),
           try !connection.query(
               "SELECT EXISTS (SELECT 1 FROM liquidations.token_interval WHERE asset = \(asset))", name: "anything stored"
           ).scalar(Bool.self)
        {
            throw EmptinessGuard.refuseEmptyFirstLoad(chunk)
        }
        // Every hour of the window gets a row: the API omits hours without liquidations.
        var byHour: [UTCHour: IntervalRecord] = [:]
        byHour.reserveCapacity(chunk.records.count)
        for record in chunk.records { byHour[record.hour] = record }

        // Only hours whose fingerprint differs from the stored one (or that are new) are merged.
        var stored: [UTCHour: Int64] = [:]
        var storedHours: Set<UTCHour> = []
        var storedWithLiquidations: [UTCHour] = []
        var openSince: [UTCHour: Date] = [:]
        for row in try connection.query(
            """
            SELECT t.interval_start, t.content_hash, \(sql: EmptinessGuard.hasLiquidationsSQL), o.emptied_at
            FROM liquidations.token_interval AS t
            LEFT JOIN liquidations.emptied_hour AS o ON o.asset = t.asset AND o.interval_start = t.interval_start
            WHERE t.asset = \(asset) AND t.interval_start >= \(start) AND t.interval_start < \(end)
            """, name: "read fingerprints"
        ).rows {
            let (hour, fingerprint, hasLiquidations, emptiedAt) = try row.decode(UTCHour.self, Int64?.self, Bool.self, Date?.self)
            stored[hour] = fingerprint
            storedHours.insert(hour)
            if hasLiquidations { storedWithLiquidations.append(hour) }
            if let emptiedAt { openSince[hour] = emptiedAt }
        }
        let vanishing = EmptinessGuard.vanishingHours(storedWithLiquidations: storedWithLiquidations, records: byHour)
        try EmptinessGuard.checkVanishing(chunk, vanishing: vanishing, storedWithLiquidations: storedWithLiquidations.count)
        var changed: [(hour: UTCHour, fingerprint: Int64)] = []
        var result = ChunkWriteResult(watermark: start)
        for hour in chunk.window.hours {
            let record = byHour[hour]
            let fingerprint = record.map(HourFingerprint.of) ?? HourFingerprint.empty
            if stored[hour] == fingerprint && !chunk.forcedHours.contains(hour) {
                result.hoursUnchanged += 1
                result.exchangeRowsUnchanged += record?.exchanges.count ?? 0
            } else {
                changed.append((hour, fingerprint))
            }
        }
        if storedHours.isEmpty && !changed.isEmpty {
            try insertFresh(changed, byHour: byHour, chunk: chunk, into: &result, connection: connection)
        } else if !changed.isEmpty {
            let revisesStoredHours = changed.contains { storedHours.contains($0.hour) }
            try merge(
                changed, byHour: byHour, chunk: chunk, recordingRevisions: revisesStoredHours, into: &result,
                connection: connection)
        }
        let openHours = OpenHourChanges(
            window: chunk.window, vanishing: vanishing, storedHours: storedHours, openSince: openSince, records: byHour,
            readAt: chunk.startedAt, confirmationSeconds: chunk.guards.emptiedHourConfirmationSeconds)
        try openHours.apply(asset: asset, readAt: chunk.startedAt, connection: connection)
        result.hoursEmptied = openHours.opened.count
        result.openHoursConfirmed = openHours.confirmed.count
        result.openHoursRestored = openHours.restored.count
        return try finish(chunk, result: result, connection: connection)
    }

    /// A window with nothing stored yet (a first load, a backfill of new history): its rows are
    /// copied straight into the tables. There is nothing to compare, revise or delete, so no
    /// staging and no `ON CONFLICT`. The asset's lock keeps other liqsyncs out; a row that
    /// appeared meanwhile anyway would fail the COPY on its key, and the chunk rolls back.
    private static func insertFresh(
        _ changed: [(hour: UTCHour, fingerprint: Int64)], byHour: [UTCHour: IntervalRecord], chunk: ChunkWrite,
        into result: inout ChunkWriteResult, connection: isolated PostgresConnection
    ) throws {
        try registerExchanges(of: changed, byHour: byHour, connection: connection)
        result.hoursInserted = try connection.copyIn(
            "COPY liquidations.token_interval (asset, interval_start, content_hash, total_trades, total_amount, long_trades, long_amount, short_trades, short_amount, data_version) FROM STDIN"
        ) { writer in
            for (hour, fingerprint) in changed {
                let figures = byHour[hour]?.totals ?? .zero
                try writer.writeRow(
                    chunk.asset, hour, fingerprint, figures.totalTrades, figures.totalAmount, figures.longTrades,
                    figures.longAmount, figures.shortTrades, figures.shortAmount, chunk.dataVersion)
            }
        }
        result.exchangeRowsInserted = try connection.copyIn(
            "COPY liquidations.token_interval_exchange (asset, interval_start, exchange, total_trades, total_amount, long_trades, long_amount, short_trades, short_amount) FROM STDIN"
        ) { writer in
            try forEachExchangeRow(of: changed, byHour: byHour) { hourText, exchange in
                let figures = exchange.figures
                try writer.writeRow(
                    chunk.asset, hourText, exchange.exchange, figures.totalTrades, figures.totalAmount, figures.longTrades,
                    figures.longAmount, figures.shortTrades, figures.shortAmount)
            }
        }
    }

    /// The exchange rows of the changed hours, hour by hour (visited in place: a chunk has some
    /// 5,000 of them, and a list of copies cost more than the COPY encoding), with the hour's
    /// text for COPY printed once for all of its rows.
    private static func forEachExchangeRow(
        of changed: [(hour: UTCHour, fingerprint: Int64)], byHour: [UTCHour: IntervalRecord],
        _ body: (_ hourText: String, borrowing ExchangeBreakdown) throws -> Void
    ) rethrows {
        for (hour, _) in changed {
            guard let exchanges = byHour[hour]?.exchanges, !exchanges.isEmpty else { continue }
            let hourText = hour.description
            for index in exchanges.indices { try body(hourText, exchanges[index]) }
        }
    }

    /// Stages the changed hours and merges them: log what changes in hours already stored,
    /// upsert totals, register new exchange codes, delete exchanges gone from those hours, upsert
    /// exchange rows.
    private static func merge(
        _ changed: [(hour: UTCHour, fingerprint: Int64)], byHour: [UTCHour: IntervalRecord], chunk: ChunkWrite,
        recordingRevisions: Bool, into result: inout ChunkWriteResult, connection: isolated PostgresConnection
    ) throws {
        try connection.execute(script: stagingTables, label: "staging tables")
        let stagedExchanges = try stage(changed, byHour: byHour, connection: connection)
        if recordingRevisions { result.revisions = try recordRevisions(chunk, connection: connection) }
        let totals = try upsertTotals(chunk, connection: connection)
        result.hoursInserted = totals.inserted
        result.hoursUpdated = totals.updated
        result.hoursUnchanged += changed.count - totals.inserted - totals.updated
        try registerExchanges(of: changed, byHour: byHour, connection: connection)
        result.exchangeRowsDeleted = try deleteVanishedExchanges(chunk, connection: connection)
        let exchanges = try upsertExchangeRows(chunk, connection: connection)
        result.exchangeRowsInserted = exchanges.inserted
        result.exchangeRowsUpdated = exchanges.updated
        result.exchangeRowsUnchanged += stagedExchanges - exchanges.inserted - exchanges.updated
    }

    /// COPYs the changed hours (zeros for hours the API left out) and their exchanges into the
    /// session's staging tables; returns the number of exchange rows staged.
    static func stage(
        _ changed: [(hour: UTCHour, fingerprint: Int64)], byHour: [UTCHour: IntervalRecord],
        connection: isolated PostgresConnection
    ) throws -> Int {
        try connection.copyIn(
            "COPY liqsync_stage_interval (interval_start, content_hash, total_trades, total_amount, long_trades, long_amount, short_trades, short_amount) FROM STDIN"
        ) { writer in
            for (hour, fingerprint) in changed {
                let figures = byHour[hour]?.totals ?? .zero
                try writer.writeRow(
                    hour, fingerprint, figures.totalTrades, figures.totalAmount, figures.longTrades, figures.longAmount,
                    figures.shortTrades, figures.shortAmount)
            }
        }
        return try connection.copyIn(
            "COPY liqsync_stage_exchange (interval_start, exchange, total_trades, total_amount, long_trades, long_amount, short_trades, short_amount) FROM STDIN"
        ) { writer in
            try forEachExchangeRow(of: changed, byHour: byHour) { hourText, exchange in
                let figures = exchange.figures
                try writer.writeRow(
                    hourText, exchange.exchange, figures.totalTrades, figures.totalAmount, figures.longTrades,
                    figures.longAmount, figures.shortTrades, figures.shortAmount)
            }
        }
    }

    /// Writes to the revision log every difference between the staged figures and what is stored
    /// for hours already stored: totals changed, exchanges changed, added or removed. Runs before
    /// the merge, in its transaction; equal figures (`1.50` and `1.5` too) log nothing.
    private static func recordRevisions(_ chunk: ChunkWrite, connection: isolated PostgresConnection) throws -> Int {
        try connection.query(
            """
            WITH totals AS (
                INSERT INTO liquidations.revision
                    (asset, interval_start, exchange, change, \(sql: Self.revisionFigures), data_version)
                SELECT \(chunk.asset), s.interval_start, NULL, 'changed',
                       t.total_trades, t.total_amount, t.long_trades, t.long_amount, t.short_trades, t.short_amount,
                       s.total_trades, s.total_amount, s.long_trades, s.long_amount, s.short_trades, s.short_amount,
                       \(chunk.dataVersion)
                FROM liqsync_stage_interval AS s
                JOIN liquidations.token_interval AS t ON t.asset = \(chunk.asset) AND t.interval_start = s.interval_start
                WHERE (t.total_trades, t.total_amount, t.long_trades, t.long_amount, t.short_trades, t.short_amount)
                      IS DISTINCT FROM
                      (s.total_trades, s.total_amount, s.long_trades, s.long_amount, s.short_trades, s.short_amount)
                RETURNING 1
            ), changed AS (
                INSERT INTO liquidations.revision
                    (asset, interval_start, exchange, change, \(sql: Self.revisionFigures), data_version)
                SELECT \(chunk.asset), s.interval_start, s.exchange, 'changed',
                       e.total_trades, e.total_amount, e.long_trades, e.long_amount, e.short_trades, e.short_amount,
                       s.total_trades, s.total_amount, s.long_trades, s.long_amount, s.short_trades, s.short_amount,
                       \(chunk.dataVersion)
                FROM liqsync_stage_exchange AS s
                JOIN liquidations.token_interval_exchange AS e
                  ON e.asset = \(chunk.asset) AND e.interval_start = s.interval_start AND e.exchange = s.exchange
                WHERE (e.total_trades, e.total_amount, e.long_trades, e.long_amount, e.short_trades, e.short_amount)
                      IS DISTINCT FROM
                      (s.total_trades, s.total_amount, s.long_trades, s.long_amount, s.short_trades, s.short_amount)
                RETURNING 1
            ), added AS (
                INSERT INTO liquidations.revision
                    (asset, interval_start, exchange, change, \(sql: Self.revisionFigures), data_version)
                SELECT \(chunk.asset), s.interval_start, s.exchange, 'added', NULL, NULL, NULL, NULL, NULL, NULL,
                       s.total_trades, s.total_amount, s.long_trades, s.long_amount, s.short_trades, s.short_amount,
                       \(chunk.dataVersion)
                FROM liqsync_stage_exchange AS s
                WHERE EXISTS (SELECT 1 FROM liquidations.token_interval AS t
                              WHERE t.asset = \(chunk.asset) AND t.interval_start = s.interval_start)
                  AND NOT EXISTS (SELECT 1 FROM liquidations.token_interval_exchange AS e
                                  WHERE e.asset = \(chunk.asset) AND e.interval_start = s.interval_start
                                    AND e.exchange = s.exchange)
                RETURNING 1
            ), removed AS (
                INSERT INTO liquidations.revision
                    (asset, interval_start, exchange, change, \(sql: Self.revisionFigures), data_version)
                SELECT \(chunk.asset), e.interval_start, e.exchange, 'removed',
                       e.total_trades, e.total_amount, e.long_trades, e.long_amount, e.short_trades, e.short_amount,
                       NULL, NULL, NULL, NULL, NULL, NULL, \(chunk.dataVersion)
                FROM liquidations.token_interval_exchange AS e
                WHERE e.asset = \(chunk.asset) AND e.interval_start >= \(chunk.window.start)
                  AND e.interval_start < \(chunk.window.end)
                  AND e.interval_start IN (SELECT interval_start FROM liqsync_stage_interval)
                  AND NOT EXISTS (SELECT 1 FROM liqsync_stage_exchange AS s
                                  WHERE s.interval_start = e.interval_start AND s.exchange = e.exchange)
                RETURNING 1
            )
            SELECT (SELECT count(*) FROM totals) + (SELECT count(*) FROM changed) + (SELECT count(*) FROM added)
                   + (SELECT count(*) FROM removed)
            """, name: "record revisions"
        ).scalar(Int.self)
    }

    /// The figure columns of a revision, old then new.
    private static let revisionFigures: StaticString = """
        old_total_trades, old_total_amount, old_long_trades, old_long_amount, old_short_trades, old_short_amount,
        new_total_trades, new_total_amount, new_long_trades, new_long_amount, new_short_trades, new_short_amount
        """

    /// Upserts the staged totals. A row whose figures are the same but whose fingerprint is new
    /// (or was NULL) gets the fingerprint without a new `updated_at`, and counts as unchanged.
    private static func upsertTotals(_ chunk: ChunkWrite, connection: isolated PostgresConnection) throws
        -> (inserted: Int, updated: Int)
    {
        try connection.query(
            """
            WITH written AS (
                INSERT INTO liquidations.token_interval AS t
                    (asset, interval_start, total_trades, total_amount, long_trades, long_amount,
                     short_trades, short_amount, data_version, content_hash)
                SELECT \(chunk.asset), s.interval_start, s.total_trades, s.total_amount, s.long_trades, s.long_amount,
                       s.short_trades, s.short_amount, \(chunk.dataVersion), s.content_hash
                FROM liqsync_stage_interval AS s
                ON CONFLICT (asset, interval_start) DO UPDATE
                SET total_trades = excluded.total_trades, total_amount = excluded.total_amount,
                    long_trades = excluded.long_trades, long_amount = excluded.long_amount,
                    short_trades = excluded.short_trades, short_amount = excluded.short_amount,
                    content_hash = excluded.content_hash,
                    data_version = CASE WHEN \(sql: Self.figuresDiffer) THEN excluded.data_version ELSE t.data_version END,
                    updated_at = CASE WHEN \(sql: Self.figuresDiffer) THEN now() ELSE t.updated_at END
                WHERE \(sql: Self.figuresDiffer) OR t.content_hash IS DISTINCT FROM excluded.content_hash
                RETURNING (xmax = 0) AS inserted, updated_at = now() AS changed
            )
            SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted AND changed) FROM written
            """, name: "upsert hourly totals"
        ).rows[0].decode(Int.self, Int.self)
    }

    /// New exchange codes get a row (named later, or by the shipped list), in the chunk's
    /// transaction and before the rows that use them.
    private static func registerExchanges(
        of changed: [(hour: UTCHour, fingerprint: Int64)], byHour: [UTCHour: IntervalRecord],
        connection: isolated PostgresConnection
    ) throws {
        var codes: Set<String> = []
        forEachExchangeRow(of: changed, byHour: byHour) { _, exchange in codes.insert(exchange.exchange) }
        guard !codes.isEmpty else { return }
        try connection.query(
            """
            INSERT INTO liquidations.exchange (exchange) SELECT unnest(\(codes.sorted())::text[])
            ON CONFLICT (exchange) DO NOTHING
            """, name: "register exchanges")
    }

    /// An exchange that is gone from a staged hour upstream is gone here too. (The range
    /// predicate repeats what the staged hours imply: it lets the planner use the index.)
    private static func deleteVanishedExchanges(_ chunk: ChunkWrite, connection: isolated PostgresConnection) throws -> Int {
        try connection.query(
            """
            DELETE FROM liquidations.token_interval_exchange AS e
            WHERE e.asset = \(chunk.asset) AND e.interval_start >= \(chunk.window.start) AND e.interval_start < \(chunk.window.end)
              AND e.interval_start IN (SELECT interval_start FROM liqsync_stage_interval)
              AND NOT EXISTS (
                  SELECT 1 FROM liqsync_stage_exchange AS s
                  WHERE s.interval_start = e.interval_start AND s.exchange = e.exchange)
            """, name: "delete vanished exchange rows"
        ).affectedRows
    }

    /// Upserts the staged exchange rows; rows whose figures did not change are not touched.
    private static func upsertExchangeRows(_ chunk: ChunkWrite, connection: isolated PostgresConnection) throws
        -> (inserted: Int, updated: Int)
    {
        try connection.query(
            """
            WITH written AS (
                INSERT INTO liquidations.token_interval_exchange AS t
                    (asset, interval_start, exchange, total_trades, total_amount, long_trades, long_amount,
                     short_trades, short_amount)
                SELECT \(chunk.asset), s.interval_start, s.exchange, s.total_trades, s.total_amount, s.long_trades,
                       s.long_amount, s.short_trades, s.short_amount
                FROM liqsync_stage_exchange AS s
                ON CONFLICT (asset, interval_start, exchange) DO UPDATE
                SET total_trades = excluded.total_trades, total_amount = excluded.total_amount,
                    long_trades = excluded.long_trades, long_amount = excluded.long_amount,
                    short_trades = excluded.short_trades, short_amount = excluded.short_amount,
                    updated_at = now()
                WHERE \(sql: Self.figuresDiffer)
                RETURNING (xmax = 0) AS inserted
            )
            SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM written
            """, name: "upsert exchange rows"
        ).rows[0].decode(Int.self, Int.self)
    }

    /// The figures of the existing row `t` differ from the incoming `excluded` ones.
    private static let figuresDiffer: StaticString = """
        ((t.total_trades, t.total_amount, t.long_trades, t.long_amount, t.short_trades, t.short_amount)
         IS DISTINCT FROM
         (excluded.total_trades, excluded.total_amount, excluded.long_trades, excluded.long_amount,
          excluded.short_trades, excluded.short_amount))
        """

    /// Moves the watermark and records the run, in the chunk's transaction.
    private static func finish(_ chunk: ChunkWrite, result: ChunkWriteResult, connection: isolated PostgresConnection) throws
        -> ChunkWriteResult
    {
        var result = result
        let asset = chunk.asset
        let start = chunk.window.start
        let end = chunk.window.end
        // The watermark moves only forward, and only over a contiguous range: a chunk that starts
        // at or below it extends it; one that would leave a gap does not move it. A sync chunk
        // also clears the asset's last error.
        let watermark = try connection.query(
            """
            UPDATE liquidations.asset
            SET watermark = CASE WHEN watermark >= \(start) THEN greatest(watermark, \(end)) ELSE watermark END,
                lookback_hours = coalesce(\(chunk.lookbackHours)::integer, lookback_hours),
                last_synced_at = CASE WHEN \(chunk.kind.rawValue) = 'sync' THEN now() ELSE last_synced_at END,
                last_error = CASE WHEN \(chunk.kind.rawValue) = 'sync' THEN NULL ELSE last_error END,
                last_error_at = CASE WHEN \(chunk.kind.rawValue) = 'sync' THEN NULL ELSE last_error_at END
            WHERE asset = \(asset)
            RETURNING watermark
            """, name: "advance watermark"
        ).rows.first
        guard let watermark else { throw StoreError.assetNotTracked(asset) }
        result.watermark = try watermark.decode(UTCHour.self, at: 0)

        let rows = result.rows
        try connection.query(
            """
            INSERT INTO liquidations.sync_run
                (asset, kind, window_start, window_end, status, pages, hours_received, rows_inserted, rows_updated,
                 rows_deleted, rows_unchanged, data_version, started_at)
            VALUES (\(asset), \(chunk.kind.rawValue), \(start), \(end), 'ok', \(chunk.pages), \(chunk.records.count),
                    \(rows.inserted), \(rows.updated), \(rows.deleted), \(rows.unchanged),
                    \(chunk.dataVersion), \(chunk.startedAt))
            """, name: "record sync run")
        return result
    }
}
