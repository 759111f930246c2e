/// When and how long to wait before retrying a request.
///
/// Exponential backoff with full jitter (a random wait between zero and the exponential cap,
/// so many clients that failed together do not retry together), never shorter than a
/// `Retry-After` the server sent (up to `maxRetryAfter`: a server asking for longer fails the
/// window at once rather than holding it), bounded by a number of attempts and a total time.
public struct RetryPolicy: Sendable, Equatable {
    public var maxAttempts: Int
    public var baseDelay: Duration
    public var maxDelay: Duration
    /// No retry starts once this much time has passed since the first attempt.
    public var totalBudget: Duration
    /// The longest `Retry-After` honoured; a longer one ends the attempts without waiting.
    public var maxRetryAfter: Duration

    public init(
        maxAttempts: Int = 8, baseDelay: Duration = .milliseconds(250), maxDelay: Duration = .seconds(30),
        totalBudget: Duration = .seconds(300), maxRetryAfter: Duration = .seconds(120)
    ) {
        self.maxAttempts = maxAttempts
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.totalBudget = totalBudget
        self.maxRetryAfter = maxRetryAfter
    }

    /// The wait before attempt `attempt + 1`, after `attempt` failures (1-based), given a random
    /// fraction in `0...1` and the server's `Retry-After`, if any.
    public func delay(afterAttempt attempt: Int, randomFraction: Double, retryAfter: Duration?) -> Duration {
        let exponent = min(max(attempt - 1, 0), 30)
        let cap = min(maxDelay, baseDelay * Double(1 << exponent))
        let jittered = cap * min(max(randomFraction, 0), 1)
        guard let retryAfter else { return jittered }
        return max(min(retryAfter, maxRetryAfter), jittered)
    }

    /// Whether another attempt may start after `attempt` attempts and `elapsed` time, waiting `delay`.
    public func allowsRetry(afterAttempt attempt: Int, elapsed: Duration, delay: Duration) -> Bool {
        attempt < maxAttempts && delay <= totalBudget && elapsed <= totalBudget - delay
    }
}

/// What to do after a failed attempt: wait and try again, or give up with the reason. Pure.
enum RetryDecision: Equatable {
    /// Wait `delay`; `pauseEveryone`: the API asked to slow down (a 429), so every request waits.
    case wait(delay: Duration, pauseEveryone: Bool)
    /// Past the budget: the last failure, and why no further attempt.
    case giveUp(lastFailure: String)

    /// After `attempt` attempts and `elapsed` since the first, the last of which asked to be
    /// retried: the budget is consulted before anything waits, and a server asking for more
    /// than the policy's cap is not obeyed for that long (the window fails now, and is tried
    /// again on a later pass).
    static func after(
        attempt: Int, elapsed: Duration, reason: String, retryAfter: Duration?, rateLimited: Bool, policy: RetryPolicy,
        randomFraction: Double
    ) -> RetryDecision {
        if let retryAfter, retryAfter > policy.maxRetryAfter {
            return .giveUp(
                lastFailure: "\(reason); Retry-After asks for \(retryAfter.formattedSeconds), more than the "
                    + "\(policy.maxRetryAfter.formattedSeconds) liqsync waits (--max-retry-after)")
        }
        let delay = policy.delay(afterAttempt: attempt, randomFraction: randomFraction, retryAfter: retryAfter)
        guard policy.allowsRetry(afterAttempt: attempt, elapsed: elapsed, delay: delay) else {
            return .giveUp(lastFailure: reason)
        }
        return .wait(delay: delay, pauseEveryone: rateLimited)
    }
}
