import FoundationEssentials
import LiquidationModel
import Postgres

/// The audit trail of chunks, success and failure alike: a `sync_run` row each, and for a
/// failure the asset's `last_error`, so `status` and the `sync_status` view can show it.
public struct RunRecorder: Sendable {
    public init() {}

    /// A committed chunk's run, in its transaction.
    static func recordSuccess(_ chunk: ChunkWrite, result: ChunkWriteResult, connection: isolated PostgresConnection) throws {
        let rows = result.rows
        try connection.query(
            """
            INSERT INTO liquidations.sync_run
                (asset, kind, window_start, window_end, status, pages, hours_received, rows_inserted, rows_updated,
                 rows_deleted, rows_unchanged, data_version, started_at)
            VALUES (\(chunk.asset), \(chunk.kind.rawValue), \(chunk.window.start), \(chunk.window.end), 'ok', \(chunk.pages),
                    \(chunk.records.count), \(rows.inserted), \(rows.updated), \(rows.deleted), \(rows.unchanged),
                    \(chunk.dataVersion), \(chunk.startedAt))
            """, name: "record sync run")
    }

    /// A failure, outside the rolled-back transaction. The asset's `last_error` is set only if
    /// `mayWriteState` says so in this transaction (the run still has the asset, or nobody has):
    /// another liqsync's state is left alone. The failed run is recorded in `sync_run` either way.
    public func recordFailure(
        asset: AssetCode, window: HourWindow?, kind: RunKind, error: String, startedAt: Date,
        mayWriteState: @Sendable (isolated PostgresConnection) throws -> Bool, on connection: PostgresConnection
    ) async throws {
        let message = String(error.prefix(2000))
        try await storeOperation("recording the failure of \(asset)") {
            try await connection.withTransaction { connection in
                let claimed = try mayWriteState(connection)
                try connection.query(
                    """
                    UPDATE liquidations.asset SET last_error = \(message), last_error_at = now()
                    WHERE asset = \(asset) AND \(claimed)
                    """, name: "record last error")
                if let window {
                    try connection.query(
                        """
                        INSERT INTO liquidations.sync_run (asset, kind, window_start, window_end, status, error, started_at)
                        SELECT \(asset), \(kind.rawValue), \(window.start), \(window.end), 'failed', \(message), \(startedAt)
                        WHERE EXISTS (SELECT 1 FROM liquidations.asset WHERE asset = \(asset))
                        """, name: "record failed run")
                }
            }
        }
    }
}
