import LiquidationModel

/// One token bucket for every request of the process, shared by all concurrent tasks.
///
/// Each caller reserves a token before sending; when the bucket is empty the reservation is
/// made anyway and the caller sleeps until its token would have accrued, so waiting callers
/// are served in order without a thundering herd. A 429 pauses the whole bucket: every task
/// slows down, not only the one that was told.
public actor RequestRateLimiter: RequestBudget {
    private let ratePerSecond: Double?
    private let burst: Double
    private var tokens: Double
    private var lastRefill: ContinuousClock.Instant
    private var pausedUntil: ContinuousClock.Instant?
    private let clock = ContinuousClock()

    public init(requestsPerSecond: Double?, burst: Double? = nil) {
        self.ratePerSecond = requestsPerSecond.flatMap { $0 > 0 ? $0 : nil }
        let size = burst ?? max(1, (requestsPerSecond ?? 1).rounded(.down))
        self.burst = size
        self.tokens = size
        self.lastRefill = clock.now
    }

    /// Waits until a request may be sent.
    public func acquire() async throws {
        let started = clock.now
        var waited = false
        if let ratePerSecond {
            refill(ratePerSecond)
            tokens -= 1
            if tokens < 0 {
                waited = true
                try await clock.sleep(for: .seconds(-tokens / ratePerSecond))
            }
        }
        // A pause set by a 429 holds back everyone, including those that already had a token.
        while let until = pausedUntil, until > clock.now {
            waited = true
            try await clock.sleep(until: until)
        }
        if waited { RequestBudgetMetrics.recordWait(started.duration(to: clock.now)) }
    }

    /// Whether requests are being held back after a 429.
    public var isPaused: Bool {
        pausedUntil.map { $0 > clock.now } ?? false
    }

    /// Holds back every request for `duration` (after a 429).
    public func pause(for duration: Duration) {
        let until = clock.now + duration
        if pausedUntil.map({ until > $0 }) ?? true { pausedUntil = until }
        // Spend the burst, so traffic resumes at the steady rate rather than all at once.
        tokens = min(tokens, 0)
        lastRefill = max(lastRefill, until)
    }

    private func refill(_ ratePerSecond: Double) {
        let now = clock.now
        guard now > lastRefill else { return }
        tokens = min(burst, tokens + lastRefill.duration(to: now).inSeconds * ratePerSecond)
        lastRefill = now
    }
}
