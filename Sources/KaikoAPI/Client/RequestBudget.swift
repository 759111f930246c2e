
/// What a request waits for before it is sent: this process's own token bucket
/// (`RequestRateLimiter`), or one that several processes share (Ingest's
/// `SharedRequestBudget`, through PostgreSQL).
public protocol RequestBudget: Sendable {
    /// Waits until a request may be sent.
    func acquire() async throws
    /// Holds back every request for `duration` (the API answered 429).
    func pause(for duration: Duration) async
    /// Whether requests are being held back after a 429.
    var isPaused: Bool { get async }
}

/// The metrics every budget reports when a request had to wait.
public enum RequestBudgetMetrics {
    public static func recordWait(_ waited: Duration) {
        KaikoMetrics.budgetWaits.increment()
        KaikoMetrics.budgetWaitSeconds.increment(by: waited.inSeconds)
    }
}
