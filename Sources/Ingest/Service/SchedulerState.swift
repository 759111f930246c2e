import FoundationEssentials
import LiquidationModel
import Synchronization

/// What the scheduler is doing, shared with the watchdog, `/health` and the metrics.
public final class SchedulerState: Sendable {
    private struct State {
        var loopRunning = false
        var lastProgress = ContinuousClock.now
        /// The same moment on the wall clock, for the metric.
        var lastProgressDate = Date()
        var sleeping = false
        var lastPassHealthy = true
        var lastPassSummary = "starting"
        var failures: [AssetCode: (count: Int, delay: Duration, retryAt: ContinuousClock.Instant)] = [:]
    }

    private let state = Mutex(State())

    public init() {}

    /// The scheduler loop began, or ended (returned, threw or was cancelled).
    public func loopStarted() {
        state.withLock {
            $0.loopRunning = true
            $0.lastProgress = .now
            $0.lastProgressDate = Date()
        }
        refreshGauges()
    }

    public func loopStopped() {
        state.withLock { $0.loopRunning = false }
        refreshGauges()
    }

    /// A sign of life: a pass started, a chunk committed.
    public func progressed() {
        state.withLock {
            $0.lastProgress = .now
            $0.lastProgressDate = Date()
            $0.sleeping = false
        }
        refreshGauges()
    }

    /// Brings the scheduler's gauges up to date. Called before each scrape too, so that a loop
    /// asleep between passes (alive, with nothing to do) shows as progressing, and a loop stuck
    /// in a pass shows the time of its last sign of life however long ago that was.
    public func refreshGauges() {
        let (running, sleeping, lastProgress) = state.withLock { ($0.loopRunning, $0.sleeping, $0.lastProgressDate) }
        SchedulerMetrics.up.record(running ? 1 : 0)
        SchedulerMetrics.lastProgress.record((running && sleeping ? Date() : lastProgress).timeIntervalSince1970.rounded(.down))
    }

    public func sleeping() {
        state.withLock { $0.sleeping = true }
    }

    /// Healthy while the loop runs and either sleeps between passes or made progress within
    /// `window`. A loop that ended is never healthy, whatever it did before.
    public func isLoopHealthy(within window: Duration) -> Bool {
        state.withLock { $0.loopRunning && ($0.sleeping || $0.lastProgress.duration(to: .now) < window) }
    }

    public func finishedPass(healthy: Bool, summary: String) {
        state.withLock {
            $0.lastPassHealthy = healthy
            $0.lastPassSummary = summary
        }
        if healthy {
            SchedulerMetrics.lastSuccessfulPass.record(Date().timeIntervalSince1970.rounded(.down))
        }
    }

    /// For `/health`: the last pass reached the database, no asset failed in it, and none is
    /// waiting out the back-off of an earlier failure.
    public var lastPassHealthy: Bool { state.withLock { $0.lastPassHealthy } }
    public var lastPassSummary: String { state.withLock { $0.lastPassSummary } }

    // MARK: - Per-asset backoff

    /// Whether a failing asset's backoff has run out.
    public func isDue(_ asset: AssetCode) -> Bool {
        state.withLock { state in state.failures[asset].map { $0.retryAt <= .now } ?? true }
    }

    /// After a failure, wait `base * 2^(failures-1)`, at most `cap`, before trying the asset again.
    public func recordFailure(_ asset: AssetCode, base: Duration, cap: Duration) {
        state.withLock { state in
            let count = (state.failures[asset]?.count ?? 0) + 1
            let delay = min(cap, base * Double(1 << min(count - 1, 20)))
            state.failures[asset] = (count, delay, .now + delay)
        }
    }

    /// The wait set after the asset's last failure; nil when it is not failing.
    public func backoff(_ asset: AssetCode) -> Duration? {
        state.withLock { $0.failures[asset]?.delay }
    }

    /// The assets whose last sync failed (in back-off or due again).
    public var failingAssets: Set<AssetCode> {
        state.withLock { Set($0.failures.keys) }
    }

    public func recordSuccess(_ asset: AssetCode) {
        _ = state.withLock { $0.failures.removeValue(forKey: asset) }
    }
}
