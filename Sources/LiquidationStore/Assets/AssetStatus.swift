import FoundationEssentials
import LiquidationModel
import Postgres

/// One line of `liqsync status`: the asset, how far it is loaded, how its last run went.
public struct AssetStatus: Sendable {
    public var asset: TrackedAsset
    /// Seconds between the watermark and the database's clock.
    public var lagSeconds: Int64
    public var lastRunStatus: String?
    public var lastRunFinishedAt: Date?
    public var lastRunRowsWritten: Int?
    /// Changes to stored hours written in the last 24 hours (see the `revisions` view).
    public var revisionsLastDay: Int64
}

extension AssetStore {
    /// Every tracked asset with its lag and its latest run.
    public func status() async throws -> [AssetStatus] {
        try await storeOperation("reading sync status") {
            try await connection.query(
                """
                SELECT a.asset, a.enabled, a.sync_from, a.watermark, a.last_synced_at, a.last_error, a.last_error_at,
                       (SELECT coalesce(sum(m.hours_covered), 0)::bigint FROM liquidations.token_month AS m WHERE m.asset = a.asset),
                       extract(epoch FROM now() - a.watermark)::bigint,
                       r.status, r.finished_at, r.rows_inserted + r.rows_updated + r.rows_deleted,
                       a.lookback_hours,
                       (SELECT count(*) FROM liquidations.revision AS v
                        WHERE v.asset = a.asset AND v.detected_at > now() - interval '24 hours'),
                       (SELECT count(*) FROM liquidations.emptied_hour AS o WHERE o.asset = a.asset)
                FROM liquidations.asset AS a
                LEFT JOIN LATERAL (
                    SELECT status, finished_at, rows_inserted, rows_updated, rows_deleted
                    FROM liquidations.sync_run WHERE asset = a.asset ORDER BY finished_at DESC, run_id DESC LIMIT 1
                ) AS r ON true
                ORDER BY a.asset
                """, name: "status"
            ).rows.map { row in
                let (asset, enabled, syncFrom, watermark, lastSyncedAt, lastError, lastErrorAt, hours, lag, runStatus, finished,
                     rows, lookback, revisions, open) = try row.decode(
                    AssetCode.self, Bool.self, UTCHour.self, UTCHour.self, Date?.self, String?.self, Date?.self, Int64.self,
                    Int64.self, String?.self, Date?.self, Int?.self, Int.self, Int64.self, Int.self)
                return AssetStatus(
                    asset: TrackedAsset(
                        asset: asset, enabled: enabled, syncFrom: syncFrom, watermark: watermark,
                        lastSyncedAt: lastSyncedAt, lastError: lastError, lastErrorAt: lastErrorAt, storedHours: hours,
                        lookbackHours: lookback, openHours: open),
                    lagSeconds: lag, lastRunStatus: runStatus, lastRunFinishedAt: finished, lastRunRowsWritten: rows,
                    revisionsLastDay: revisions)
            }
        }
    }
}
