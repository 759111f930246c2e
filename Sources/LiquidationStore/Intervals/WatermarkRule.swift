import LiquidationModel
import Postgres

/// How a committed chunk moves its asset's progress, in the chunk's transaction: the watermark
/// only forward and only over a contiguous range (a chunk that starts at or below it extends it;
/// one that would leave a gap does not move it); a sync chunk also records when the asset was
/// synced, clears its last error, and records the lookback it re-read (so the views know which
/// hours are final). Ends the transaction with `RETURNING`: if the asset is gone, the whole
/// chunk rolls back (the hourly rows have no foreign key to it, migration 0008).
enum WatermarkRule {
    static func advance(_ chunk: ChunkWrite, connection: isolated PostgresConnection) throws -> UTCHour {
        let sync = chunk.kind == .sync
        let watermark = try connection.query(
            """
            UPDATE liquidations.asset
            SET watermark = CASE WHEN watermark >= \(chunk.window.start) THEN greatest(watermark, \(chunk.window.end))
                                 ELSE watermark END,
                lookback_hours = coalesce(\(chunk.lookbackHours)::integer, lookback_hours),
                last_synced_at = CASE WHEN \(sync) THEN now() ELSE last_synced_at END,
                last_error = CASE WHEN \(sync) THEN NULL ELSE last_error END,
                last_error_at = CASE WHEN \(sync) THEN NULL ELSE last_error_at END
            WHERE asset = \(chunk.asset)
            RETURNING watermark
            """, name: "advance watermark"
        ).rows.first
        guard let watermark else { throw StoreError.assetNotTracked(chunk.asset) }
        return try watermark.decode(UTCHour.self, at: 0)
    }
}
