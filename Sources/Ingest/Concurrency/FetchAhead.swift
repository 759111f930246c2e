import Synchronization

/// The chunks fetched ahead of the writers, shared by every asset a command or a sync pass loads
/// at once, and how many there may be.
///
/// A chunk fetched ahead hides the API's latency behind the database's work, and the number
/// that does depends on that latency, on the request budget and on how fast the database
/// writes, which nobody knows in advance. So it adapts, as TCP's window does: one more each time
/// a writer waits for a chunk while every share is in use (the latency is not hidden), half as
/// many when the API says to slow down (a 429, a request past its deadline). It never exceeds
/// `cap` (`--prefetch`). Decreases are at least `decreaseSpacing` apart, so one burst of 429s
/// halves it once, and it does not grow again until `decreaseSpacing` has passed without the API
/// asking to slow down and an answer to a request sent after it asked came back without asking
/// again (`answered`): writers that wait for an API sending 429s are not a reason for more
/// requests, however far apart its answers arrive.
///
/// Memory is bounded in bytes, not only in shares: the fetched records waiting for the writers,
/// plus what each share's request still on its way is expected to bring (`expectedChunkBytes`,
/// the weight of recent chunks), stay within `maxHeldBytes`. A request in flight holds nothing
/// yet, but it may arrive while the writers are busy: counting only what had arrived let every
/// request in flight arrive on top of the bound. A share the bytes do not allow is not taken,
/// and the limit does not grow meanwhile; that pause, not a smaller limit, is what holds memory
/// when PostgreSQL sets the pace, so the latency stays hidden the moment the writers catch up.
///
/// An asset's next chunk never needs a share (`forEachPrefetched`), so no asset waits for
/// another, and each asset in progress holds at most one chunk beyond the shares.
public final class FetchAhead: Sendable {
    public struct Snapshot: Sendable, Equatable {
        /// Shares that may be taken now.
        public var limit: Int
        /// Shares taken: chunks being fetched ahead, or fetched and waiting for their writer.
        public var taken: Int
        /// Bytes of fetched records waiting for their writer (an estimate, `FetchedWindow.estimatedBytes`).
        public var heldBytes: Int
        /// Shares whose request has not arrived yet.
        public var fetching: Int
        /// What a chunk on its way is expected to weigh: the weight of recent chunks.
        public var expectedChunkBytes: Int
        public var increases: Int
        public var decreases: Int
    }

    private struct State {
        var limit: Double
        var taken = 0
        var fetching = 0
        var heldBytes = 0
        var expectedChunkBytes = FetchAhead.initialExpectedChunkBytes
        var lastDecrease: ContinuousClock.Instant?
        var lastSlowDown: ContinuousClock.Instant?
        /// Since the last slow-down, no request sent after it has been answered without one.
        var congested = false
        var increases = 0
        var decreases = 0
    }

    public let cap: Int
    public let maxHeldBytes: Int
    private let state: Mutex<State>
    private let onChange: @Sendable (Int) -> Void
    private let clock: @Sendable () -> ContinuousClock.Instant

    /// What it starts at: two, which hides some 300 ms of latency for a lone asset.
    public static let initialLimit = 2
    public static let decreaseSpacing: Duration = .milliseconds(500)
    /// What a chunk is expected to weigh before any has arrived: a 1000-hour chunk with six
    /// exchange rows an hour, as `FetchedWindow.estimatedBytes` counts it.
    public static let initialExpectedChunkBytes = 1 << 20

    /// `cap` shares at most (0: nothing is fetched ahead), `maxHeldBytes` of records held and on
    /// their way; `onChange` is told each new limit.
    public init(
        cap: Int, maxHeldBytes: Int, expectedChunkBytes: Int = FetchAhead.initialExpectedChunkBytes,
        onChange: @escaping @Sendable (Int) -> Void = { _ in },
        clock: @escaping @Sendable () -> ContinuousClock.Instant = { .now }
    ) {
        self.clock = clock
        self.cap = max(0, cap)
        self.maxHeldBytes = max(1, maxHeldBytes)
        var initial = State(limit: Double(min(max(0, cap), Self.initialLimit)))
        initial.expectedChunkBytes = max(1, expectedChunkBytes)
        self.state = Mutex(initial)
        self.onChange = onChange
        onChange(min(max(0, cap), Self.initialLimit))
    }

    /// Takes a share if one is free and the bytes allow one more chunk; never waits.
    func tryTake() -> Bool {
        state.withLock { state -> Bool in
            guard state.taken < Int(state.limit), roomForAnotherChunk(state) else { return false }
            state.taken += 1
            state.fetching += 1
            return true
        }
    }

    /// A share given back once its chunk has been written (or dropped).
    func giveBack(_ count: Int = 1) {
        state.withLock { $0.taken -= count }
    }

    /// A fetch arrived (or failed: 0 bytes) with records weighing `bytes`, held until its writer
    /// is done with them; `shared`: it held a share (`tryTake`), no longer on its way.
    func arrived(bytes: Int, shared: Bool) {
        state.withLock { state in
            state.heldBytes += bytes
            if shared { state.fetching -= 1 }
            // Up at once, down slowly: a lighter chunk now and then (a range's last) does not
            // let many heavy ones be on their way at once.
            if bytes > 0 { state.expectedChunkBytes = max(bytes, (7 * state.expectedChunkBytes + bytes) / 8) }
        }
    }

    func release(bytes: Int) {
        state.withLock { $0.heldBytes -= bytes }
    }

    /// Whether the records held, what the shares on their way are expected to bring and one
    /// more chunk fit in `maxHeldBytes`.
    private func roomForAnotherChunk(_ state: State) -> Bool {
        let (expected, overflow) = (state.fetching + 1).multipliedReportingOverflow(by: state.expectedChunkBytes)
        return !overflow && expected <= maxHeldBytes && state.heldBytes <= maxHeldBytes - expected
    }

    /// A writer waits for its next chunk: one more share, if every share is in use (else more
    /// would not have helped) and the cap allows.
    func writerWaited() {
        let now = clock()
        let changed = state.withLock { state -> Int? in
            guard state.taken >= Int(state.limit), state.limit < Double(cap), roomForAnotherChunk(state) else { return nil }
            if let last = state.lastSlowDown, state.congested || last.duration(to: now) < Self.decreaseSpacing { return nil }
            state.limit += 1
            state.increases += 1
            return Int(state.limit)
        }
        if let changed { onChange(changed) }
    }

    /// The API asked for fewer requests at once: half as many shares.
    public func slowDown() {
        let changed = state.withLock { state -> Int? in
            state.lastSlowDown = clock()
            state.congested = true
            return decrease(&state, by: 0.5)
        }
        if let changed { onChange(changed) }
    }

    /// A request sent at `sentAt` was answered, after `slowDowns` answers that asked to slow down
    /// (429s retried, deadlines passed): a slow-down if any, else, for a request sent after the
    /// last slow-down, the sign that the API is no longer asking.
    public func answered(sentAt: ContinuousClock.Instant, slowDowns: Int) {
        if slowDowns > 0 { return slowDown() }
        state.withLock { state in
            if let last = state.lastSlowDown, sentAt > last { state.congested = false }
        }
    }

    /// The clock this limit reads, for the times passed to `answered`.
    public var now: ContinuousClock.Instant { clock() }

    public var snapshot: Snapshot {
        state.withLock { state in
            Snapshot(limit: Int(state.limit), taken: state.taken, heldBytes: state.heldBytes, fetching: state.fetching,
                     expectedChunkBytes: state.expectedChunkBytes, increases: state.increases, decreases: state.decreases)
        }
    }

    /// Shares free now.
    var availableChunks: Int { state.withLock { max(0, Int($0.limit) - $0.taken) } }

    private func decrease(_ state: inout State, by factor: Double) -> Int? {
        let now = clock()
        if let last = state.lastDecrease, last.duration(to: now) < Self.decreaseSpacing { return nil }
        let lowered = max(1, (state.limit * factor).rounded(.down))
        guard lowered < state.limit else { return nil }
        state.limit = lowered
        state.lastDecrease = now
        state.decreases += 1
        return Int(lowered)
    }
}
