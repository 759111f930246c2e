import Telemetry

/// The metrics of the API client and its request budget.
public enum KaikoMetrics {
    public static let requests = CounterMetric(
        "liqsync_api_requests_total",
        help: "Requests to Kaiko's API, by HTTP status (network_error and timeout when none came).")
    public static let retries = CounterMetric("liqsync_api_retries_total", help: "Requests to Kaiko's API that were tried again.")
    public static let requestsInFlight = GaugeMetric(
        "liqsync_api_requests_in_flight", help: "Requests to Kaiko's API sent and not answered yet.")
    public static let budgetWaits = CounterMetric(
        "liqsync_rate_limit_waits_total",
        help: "Requests that waited for the request budget (--max-requests-per-second or a 429's pause).")
    public static let budgetWaitSeconds = CounterMetric(
        "liqsync_rate_limit_wait_seconds_total", help: "Seconds requests spent waiting for the request budget.")

    public static let all: [MetricDefinition] = [requests, retries, budgetWaits, budgetWaitSeconds].map(\.definition)
        + [requestsInFlight.definition]
}
