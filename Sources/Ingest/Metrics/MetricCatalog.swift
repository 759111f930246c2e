/// Every metric liqsync exports, with its `# HELP` text: the one list the exporter, the alert
/// rules (deploy/prometheus) and docs/operations.md agree on. Names follow Prometheus's
/// conventions: base units, `_total` for counters, `_seconds` for times.
public enum MetricCatalog {
    public static let help: [String: String] = [
        "liqsync_build_info": "Always 1; the labels say which liqsync release runs and which schema version it expects.",
        "process_start_time_seconds": "Start time of the process since unix epoch in seconds.",
        "liqsync_scheduler_up": "1 while the service's scheduler loop runs, 0 once it ended.",
        "liqsync_scheduler_last_progress_timestamp_seconds":
            "When the scheduler loop last showed progress (a pass started, a chunk committed), in seconds since the epoch.",
        "liqsync_last_successful_pass_timestamp_seconds":
            "When the last pass that reached the database with no asset failing ended, in seconds since the epoch.",
        "liqsync_watermark_timestamp_seconds":
            "The asset's watermark (the end of its last stored hour) when this process last saw it, in seconds since the epoch.",
        "liqsync_watermark_lag_seconds": "Seconds between the asset's watermark and the time this process last saw it.",
        "liqsync_last_success_timestamp_seconds": "When this process last synced the asset without error, in seconds since the epoch.",
        "liqsync_last_failure_timestamp_seconds": "When a sync of the asset by this process last failed, in seconds since the epoch.",
        "liqsync_sync_failures_total": "Syncs of the asset that failed, by kind (temporary, bad_data, access, ...).",
        "liqsync_sync_duration_seconds": "Time one sync of the asset took, lock to last commit.",
        "liqsync_rows_written_total": "Hourly and exchange rows written, by change (inserted, updated, deleted).",
        "liqsync_chunks_committed_total": "Chunks (windows of up to 1000 hours) committed for the asset.",
        "liqsync_revisions_total": "Changes to hours already stored, logged in the revisions view.",
        "liqsync_open_hours_total":
            "Stored hours with liquidations a re-read emptied (opened), and open hours closed: confirmed empty a day later, or restored.",
        "liqsync_api_requests_total": "Requests to Kaiko's API, by HTTP status (network_error and timeout when none came).",
        "liqsync_api_retries_total": "Requests to Kaiko's API that were tried again.",
        "liqsync_rate_limit_waits_total": "Requests that waited for the request budget (--max-requests-per-second or a 429's pause).",
        "liqsync_rate_limit_wait_seconds_total": "Seconds requests spent waiting for the request budget.",
    ]

    /// Histogram buckets for the times liqsync measures, in seconds.
    public static let durationBuckets: [String: [Duration]] = [
        "liqsync_sync_duration_seconds": [
            .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5),
            .seconds(10), .seconds(30), .seconds(60), .seconds(120), .seconds(300), .seconds(900),
        ]
    ]
}
