import CoreMetrics
import FoundationEssentials
import LiquidationModel
import LiquidationStore

/// The sync engine's metrics, through swift-metrics (exported by whatever backend the
/// executable bootstraps: Prometheus for `--metrics-address`, nothing otherwise). Names, types
/// and help texts are listed in `MetricCatalog`; labels are bounded (the asset at most, and
/// small fixed sets such as the failure kind).
public struct SyncMetrics: Sendable {
    public init() {}

    /// The watermark itself and its lag. Alerts and dashboards use the timestamp (`time() -
    /// max by (asset) (...)`): it stays right when this process stops syncing the asset, and
    /// across a fleet the most advanced instance's value wins.
    func recordLag(asset: AssetCode, watermark: UTCHour, now: Int64) {
        Gauge(label: "liqsync_watermark_timestamp_seconds", dimensions: [("asset", asset.rawValue)])
            .record(Double(watermark.secondsSinceEpoch))
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
        let openHours = [
            ("opened", result.hoursEmptied), ("confirmed", result.openHoursConfirmed), ("restored", result.openHoursRestored),
        ]
        for (change, count) in openHours where count > 0 {
            Counter(label: "liqsync_open_hours_total", dimensions: [("asset", asset.rawValue), ("change", change)])
                .increment(by: count)
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
        case .failed(_, let kind):
            Counter(label: "liqsync_sync_failures_total", dimensions: [("asset", asset), ("kind", kind.label)]).increment()
            Gauge(label: "liqsync_last_failure_timestamp_seconds", dimensions: [("asset", asset)])
                .record(Date().timeIntervalSince1970.rounded(.down))
        default:
            break
        }
    }
}

extension FailureKind {
    /// The kind as a metric label: `temporary`, `bad_data`, `access`, ...
    public var label: String {
        switch self {
        case .usage: "usage"
        case .badData: "bad_data"
        case .unavailable: "unavailable"
        case .operatingSystem: "operating_system"
        case .temporary: "temporary"
        case .access: "access"
        case .configuration: "configuration"
        case .internalError: "internal_error"
        }
    }
}
