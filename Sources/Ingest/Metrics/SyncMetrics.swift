import FoundationEssentials
import KaikoAPI
import LiquidationModel
import LiquidationStore
import Telemetry

/// The sync engine's metrics, declared here and emitted through swift-metrics (exported by
/// whatever backend the executable bootstraps: Prometheus for `--metrics-address`, nothing
/// otherwise). Labels are bounded: the asset at most, and small fixed sets such as the failure kind.
public struct SyncMetrics: Sendable {
    public init() {}

    static let watermarkTimestamp = GaugeMetric(
        "liqsync_watermark_timestamp_seconds",
        help: "The asset's watermark (the end of its last stored hour) when this process last saw it, in seconds since the epoch.")
    static let watermarkLag = GaugeMetric(
        "liqsync_watermark_lag_seconds", help: "Seconds between the asset's watermark and the time this process last saw it.")
    static let lastSuccess = GaugeMetric(
        "liqsync_last_success_timestamp_seconds",
        help: "When this process last synced the asset without error, in seconds since the epoch.")
    static let lastFailure = GaugeMetric(
        "liqsync_last_failure_timestamp_seconds", help: "When a sync of the asset by this process last failed, in seconds since the epoch.")
    static let failures = CounterMetric(
        "liqsync_sync_failures_total", help: "Syncs of the asset that failed, by kind (temporary, bad_data, access, ...).")
    static let duration = DurationMetric(
        "liqsync_sync_duration_seconds", help: "Time one sync of the asset took, claim to last commit.",
        buckets: [
            .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5),
            .seconds(10), .seconds(30), .seconds(60), .seconds(120), .seconds(300), .seconds(900),
        ])
    static let rowsWritten = CounterMetric(
        "liqsync_rows_written_total", help: "Hourly and exchange rows written, by change (inserted, updated, deleted).")
    static let chunksCommitted = CounterMetric(
        "liqsync_chunks_committed_total", help: "Chunks (windows of up to 1000 hours) committed for the asset.")
    static let revisions = CounterMetric("liqsync_revisions_total", help: "Changes to hours already stored, logged in the revisions view.")
    static let openHours = CounterMetric(
        "liqsync_open_hours_total",
        help: "Stored hours with liquidations a re-read emptied (opened), and open hours closed: confirmed empty a day later, or restored.")
    static let fetchAheadLimit = GaugeMetric(
        "liqsync_fetch_ahead_limit",
        help: "Chunks that may be fetched ahead of the writers now, as adapted to the API's latency and answers (--prefetch at most).")

    static let all: [MetricDefinition] = [
        watermarkTimestamp.definition, watermarkLag.definition, lastSuccess.definition, lastFailure.definition,
        failures.definition, duration.definition, rowsWritten.definition, chunksCommitted.definition, revisions.definition,
        openHours.definition, fetchAheadLimit.definition,
    ]

    /// The watermark itself and its lag. Alerts and dashboards use the timestamp (`time() -
    /// max by (asset) (...)`): it stays right when this process stops syncing the asset, and
    /// across a fleet the most advanced instance's value wins.
    func recordLag(asset: AssetCode, watermark: UTCHour, now: Int64) {
        Self.watermarkTimestamp.record(Double(watermark.secondsSinceEpoch), [("asset", asset.rawValue)])
        Self.watermarkLag.record(Double(now - watermark.secondsSinceEpoch), [("asset", asset.rawValue)])
    }

    func recordChunk(asset: AssetCode, result: ChunkWriteResult, requests: Int) {
        let rows = result.rows
        for (change, count) in [("inserted", rows.inserted), ("updated", rows.updated), ("deleted", rows.deleted)] where count > 0 {
            Self.rowsWritten.increment(by: count, [("asset", asset.rawValue), ("change", change)])
        }
        Self.chunksCommitted.increment(by: 1, [("asset", asset.rawValue)])
        if result.revisions > 0 { Self.revisions.increment(by: result.revisions, [("asset", asset.rawValue)]) }
        let openHours = [
            ("opened", result.hoursEmptied), ("confirmed", result.openHoursConfirmed), ("restored", result.openHoursRestored),
        ]
        for (change, count) in openHours where count > 0 {
            Self.openHours.increment(by: count, [("asset", asset.rawValue), ("change", change)])
        }
    }

    func recordPass(_ outcome: LoadOutcome) {
        let asset = [("asset", outcome.asset.rawValue)]
        if outcome.completed {
            Self.duration.record(seconds: outcome.seconds, asset)
            Self.lastSuccess.record(Date().timeIntervalSince1970.rounded(.down), asset)
        } else if let kind = outcome.failureKind {
            Self.failures.increment(by: 1, asset + [("kind", kind.label)])
            Self.lastFailure.record(Date().timeIntervalSince1970.rounded(.down), asset)
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
