import LiquidationModel
import Postgres

/// Writes to the revision log (`liquidations.revision`, the `revisions` view) every difference
/// between the staged figures and what is stored for hours already stored: totals changed,
/// exchanges changed, added or removed. Runs before the merge, in its transaction; equal
/// figures (`1.50` and `1.5` too) log nothing.
enum RevisionLog {
    static func record(_ chunk: ChunkWrite, connection: isolated PostgresConnection) throws -> Int {
        let columns = FigureColumns.prefixed("old_") + SQLFragment(", ") + FigureColumns.prefixed("new_")
        let none = SQLFragment(joining: Array(repeating: SQLFragment("NULL"), count: Measure.allCases.count), separator: ", ")
        return try connection.query(
            """
            WITH totals AS (
                INSERT INTO liquidations.revision (asset, interval_start, exchange, change, \(sql: columns), data_version)
                SELECT \(chunk.asset), s.interval_start, NULL, 'changed', \(sql: FigureColumns.list("t")),
                       \(sql: FigureColumns.list("s")), \(chunk.dataVersion)
                FROM liqsync_stage_interval AS s
                JOIN liquidations.token_interval AS t ON t.asset = \(chunk.asset) AND t.interval_start = s.interval_start
                WHERE \(sql: FigureColumns.differ("t", "s"))
                RETURNING 1
            ), changed AS (
                INSERT INTO liquidations.revision (asset, interval_start, exchange, change, \(sql: columns), data_version)
                SELECT \(chunk.asset), s.interval_start, s.exchange, 'changed', \(sql: FigureColumns.list("e")),
                       \(sql: FigureColumns.list("s")), \(chunk.dataVersion)
                FROM liqsync_stage_exchange AS s
                JOIN liquidations.token_interval_exchange AS e
                  ON e.asset = \(chunk.asset) AND e.interval_start = s.interval_start AND e.exchange = s.exchange
                WHERE \(sql: FigureColumns.differ("e", "s"))
                RETURNING 1
            ), added AS (
                INSERT INTO liquidations.revision (asset, interval_start, exchange, change, \(sql: columns), data_version)
                SELECT \(chunk.asset), s.interval_start, s.exchange, 'added', \(sql: none), \(sql: FigureColumns.list("s")),
                       \(chunk.dataVersion)
                FROM liqsync_stage_exchange AS s
                WHERE EXISTS (SELECT 1 FROM liquidations.token_interval AS t
                              WHERE t.asset = \(chunk.asset) AND t.interval_start = s.interval_start)
                  AND NOT EXISTS (SELECT 1 FROM liquidations.token_interval_exchange AS e
                                  WHERE e.asset = \(chunk.asset) AND e.interval_start = s.interval_start
                                    AND e.exchange = s.exchange)
                RETURNING 1
            ), removed AS (
                INSERT INTO liquidations.revision (asset, interval_start, exchange, change, \(sql: columns), data_version)
                SELECT \(chunk.asset), e.interval_start, e.exchange, 'removed', \(sql: FigureColumns.list("e")), \(sql: none),
                       \(chunk.dataVersion)
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
}
