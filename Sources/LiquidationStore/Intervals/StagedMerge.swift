import Postgres

/// The changed hours of a window that has rows stored, written by staging them with COPY into
/// temporary tables, then merging with a few set-based statements: log what
/// changes in hours already stored (`RevisionLog`), upsert the totals, register new exchange
/// codes, delete exchanges gone from those hours, upsert the exchange rows. Rows whose figures
/// did not change are not touched (`IS DISTINCT FROM`), so a re-read writes no tuple and moves
/// no `updated_at`.
enum StagedMerge {
    static func write(
        _ changed: ChangedHours, chunk: ChunkWrite, revisesStoredHours: Bool, into result: inout ChunkWriteResult,
        connection: isolated PostgresConnection
    ) throws {
        let stagedExchanges = try stage(changed, connection: connection)
        if revisesStoredHours { result.revisions = try RevisionLog.record(chunk, connection: connection) }
        let totals = try upsertTotals(chunk, connection: connection)
        result.hoursInserted = totals.inserted
        result.hoursUpdated = totals.updated
        result.hoursUnchanged += changed.hours.count - totals.inserted - totals.updated
        try ExchangeCodes.register(changed.exchangeCodes, connection: connection)
        result.exchangeRowsDeleted = try deleteVanishedExchanges(chunk, connection: connection)
        let exchanges = try upsertExchangeRows(chunk, connection: connection)
        result.exchangeRowsInserted = exchanges.inserted
        result.exchangeRowsUpdated = exchanges.updated
        result.exchangeRowsUnchanged += stagedExchanges - exchanges.inserted - exchanges.updated
    }

    /// The staging tables: temporary, created by the first transaction of a session that needs
    /// them (in that transaction, so it holds on any session), emptied at every commit.
    private static let stagingTables = """
        CREATE TEMPORARY TABLE IF NOT EXISTS liqsync_stage_interval (
            interval_start timestamptz NOT NULL, content_hash bigint NOT NULL, \(FigureColumns.definitions)
        ) ON COMMIT DELETE ROWS;
        CREATE TEMPORARY TABLE IF NOT EXISTS liqsync_stage_exchange (
            interval_start timestamptz NOT NULL, exchange text NOT NULL, \(FigureColumns.definitions)
        ) ON COMMIT DELETE ROWS;
        """

    /// COPYs the changed hours (zeros for hours the API left out) and their exchanges into the
    /// transaction's staging tables; returns the number of exchange rows staged.
    static func stage(_ changed: ChangedHours, connection: isolated PostgresConnection) throws -> Int {
        try connection.execute(script: stagingTables, label: "staging tables")
        try connection.copyIn(
            "COPY liqsync_stage_interval (interval_start, content_hash, \(sql: FigureColumns.list())) FROM STDIN"
        ) { writer in
            for (hour, fingerprint) in changed.hours {
                writer.append(hour)
                writer.append(fingerprint)
                writer.append(changed.totals(hour))
                try writer.endRow()
            }
        }
        return try connection.copyIn(
            "COPY liqsync_stage_exchange (interval_start, exchange, \(sql: FigureColumns.list())) FROM STDIN"
        ) { writer in
            try changed.forEachExchangeRow { hourText, exchange in
                writer.append(hourText)
                writer.append(exchange.exchange)
                writer.append(exchange.figures)
                try writer.endRow()
            }
        }
    }

    /// Upserts the staged totals. A row whose figures are the same but whose fingerprint is new
    /// (or was NULL) gets the fingerprint without a new `updated_at`, and counts as unchanged.
    private static func upsertTotals(_ chunk: ChunkWrite, connection: isolated PostgresConnection) throws
        -> (inserted: Int, updated: Int)
    {
        let differ = FigureColumns.differ("t", "excluded")
        return try connection.query(
            """
            WITH written AS (
                INSERT INTO liquidations.token_interval AS t
                    (asset, interval_start, \(sql: FigureColumns.list()), data_version, content_hash)
                SELECT \(chunk.asset), s.interval_start, \(sql: FigureColumns.list("s")), \(chunk.dataVersion), s.content_hash
                FROM liqsync_stage_interval AS s
                ON CONFLICT (asset, interval_start) DO UPDATE
                SET \(sql: FigureColumns.assignments(from: "excluded")), content_hash = excluded.content_hash,
                    data_version = CASE WHEN \(sql: differ) THEN excluded.data_version ELSE t.data_version END,
                    updated_at = CASE WHEN \(sql: differ) THEN now() ELSE t.updated_at END
                WHERE \(sql: differ) OR t.content_hash IS DISTINCT FROM excluded.content_hash
                RETURNING (xmax = 0) AS inserted, updated_at = now() AS changed
            )
            SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted AND changed) FROM written
            """, name: "upsert hourly totals"
        ).rows[0].decode(Int.self, Int.self)
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
                    (asset, interval_start, exchange, \(sql: FigureColumns.list()))
                SELECT \(chunk.asset), s.interval_start, s.exchange, \(sql: FigureColumns.list("s"))
                FROM liqsync_stage_exchange AS s
                ON CONFLICT (asset, interval_start, exchange) DO UPDATE
                SET \(sql: FigureColumns.assignments(from: "excluded")), updated_at = now()
                WHERE \(sql: FigureColumns.differ("t", "excluded"))
                RETURNING (xmax = 0) AS inserted
            )
            SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM written
            """, name: "upsert exchange rows"
        ).rows[0].decode(Int.self, Int.self)
    }
}
