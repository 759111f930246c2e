import KaikoAPI
import Telemetry

/// Every metric liqsync exports: the declarations of the code that emits them, gathered, for the
/// exporter (help texts and buckets), the alert rules (deploy/prometheus) and docs/operations.md
/// to agree on. Names follow Prometheus's conventions: base units, `_total` for counters,
/// `_seconds` for times.
public enum MetricCatalog {
    public static let all: [MetricDefinition] = ProcessMetrics.all + SchedulerMetrics.all + SyncMetrics.all + KaikoMetrics.all

    /// Each metric's `# HELP` text, by name.
    public static let help: [String: String] = Dictionary(uniqueKeysWithValues: all.map { ($0.name, $0.help) })

    /// Histogram buckets for the times liqsync measures, by name.
    public static let durationBuckets: [String: [Duration]] = all.reduce(into: [:]) { buckets, metric in
        if let declared = metric.buckets { buckets[metric.name] = declared }
    }
}

/// The process's own metrics (`liqsync run`).
public enum ProcessMetrics {
    public static let buildInfo = GaugeMetric(
        "liqsync_build_info", help: "Always 1; the labels say which liqsync release runs and which schema version it expects.")
    public static let startTime = GaugeMetric("process_start_time_seconds", help: "Start time of the process since unix epoch in seconds.")

    static let all = [buildInfo.definition, startTime.definition]
}

/// The service's scheduler loop (`SchedulerState`).
enum SchedulerMetrics {
    static let up = GaugeMetric("liqsync_scheduler_up", help: "1 while the service's scheduler loop runs, 0 once it ended.")
    static let lastProgress = GaugeMetric(
        "liqsync_scheduler_last_progress_timestamp_seconds",
        help: "When the scheduler loop last showed progress (a pass started, a chunk committed), in seconds since the epoch.")
    static let lastSuccessfulPass = GaugeMetric(
        "liqsync_last_successful_pass_timestamp_seconds",
        help: "When the last pass that reached the database with no asset failing ended, in seconds since the epoch.")

    static let all = [up.definition, lastProgress.definition, lastSuccessfulPass.definition]
}
