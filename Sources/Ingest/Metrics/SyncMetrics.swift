import CoreMetrics
import Foundation
import LiquidationModel
import LiquidationStore

/// The sync engine's metrics, through swift-metrics (exported by whatever backend the
/// executable bootstraps: Prometheus for `--metrics-address`, nothing otherwise).
public struct SyncMetrics: Sendable {
    public init() {}

    func recordLag(asset: AssetCode, watermark: UTCHour, now: Int64) {
        Gauge(label: "liqsync_watermark_lag_seconds", dimensions: [("asset", asset.rawValue)])
            .record(Double(now - watermark.secondsSinceEpoch))
    }

    func recordChunk(asset: AssetCode, result: ChunkWriteResult, requests: Int) {
        let rows = result.rows
        for (change, count) in [("inserted", rows.inserted), ("updated", rows.updated), ("deleted", rows.deleted)]
        where count > 0 {
            Counter(label: "liqsync_rows_written_total", dimensions: [("asset", asset.rawValue), ("change", change)])
                .increment(by: count)
        }
        Counter(label: "liqsync_chunks_committed_total", dimensions: [("asset", asset.rawValue)]).increment()
        if result.revisions > 0 {
            Counter(label: "liqsync_revisions_total", dimensions: [("asset", asset.rawValue)]).increment(by: result.revisions)
        }
    }

    func recordPass(_ outcome: AssetSyncOutcome) {
        let asset = outcome.asset.rawValue
        switch outcome.status {
        case .synced:
            Timer(label: "liqsync_sync_duration_seconds", dimensions: [("asset", asset)])
                .recordNanoseconds(Int64(outcome.seconds * 1e9))
            Gauge(label: "liqsync_last_success_timestamp_seconds", dimensions: [("asset", asset)])
                .record(Date().timeIntervalSince1970.rounded(.down))
        case .failed:
            Counter(label: "liqsync_sync_failures_total", dimensions: [("asset", asset)]).increment()
        default:
            break
        }
    }
}
