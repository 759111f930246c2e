/// The pipeline's decisions for one asset, as a value: events in, actions out, no I/O.
/// `WindowPipeline` performs the actions and reports what happened; the rules live here, where
/// they are unit-tested one by one (`AssetLoadStateMachineTests`):
///
/// - the claim comes first: an asset another liqsync holds is left alone (or waited for, which
///   the claim action itself does), and nothing is planned without the claim;
/// - a failure is recorded (`last_error`, a failed run) before the claim is released, so that a
///   liqsync taking the asset over meanwhile cannot have its success overwritten by this stale
///   error; a failure before the claim was taken is recorded with nothing to release;
/// - a repair records nothing: its failures are only reported;
/// - cancellation (a shutdown) is not a failure: nothing is recorded, the claim is released;
/// - a failed window stops the asset (a later window would leave a gap below the watermark);
///   what was committed before stays;
/// - a first load may be abandoned (the driver leaves nothing of it behind, a backfill of an
///   unknown asset code) only while nothing of it is committed, and never after the claim was
///   lost (the asset may be another liqsync's by then); abandoned, it is not recorded.
struct AssetLoadStateMachine {
    enum Action: Equatable {
        /// Take the asset's claim (skipping or waiting, as the driver says).
        case claim
        /// Plan the asset's windows under the claim.
        case plan
        /// Fetch the planned windows ahead and write each in order.
        case load
        /// Write the next window (the one fetched next).
        case writeNext
        /// Ask the driver to undo a first load that failed before any commit.
        case abandon
        /// Record the failure, the claim still held (or never taken).
        case recordFailure
        /// Give the claim back.
        case release
        /// The load of the asset is over.
        case finish(Ending)
    }

    /// How a load ended, for the outcome.
    enum Ending: Equatable {
        /// Every window was written (possibly none).
        case completed
        /// Another liqsync had the asset, and the driver leaves it to that one.
        case notClaimed
        /// The driver planned nothing.
        case notPlanned
        /// Shutdown began before the asset was done; what was committed stays.
        case interrupted
        /// The claim, the planning or a window failed; what was committed before stays.
        case failed
    }

    /// What went wrong, as far as the rules care.
    enum Failure: Equatable {
        /// The task was cancelled (shutdown): no failure of the asset.
        case cancelled
        /// The claim no longer held when a window was to commit.
        case claimLost
        /// Anything else.
        case error
    }

    private enum State: Equatable {
        case idle
        case claiming
        case planning
        case loading(committed: Int, abandonable: Bool)
        case abandoning
        case recording(claimed: Bool)
        case releasing(Ending)
        case finished(Ending)
    }

    /// False for a repair: its failures are reported, not recorded.
    let recordsFailures: Bool
    private var state = State.idle

    init(recordsFailures: Bool) {
        self.recordsFailures = recordsFailures
    }

    /// Windows committed so far.
    var committed: Int {
        if case .loading(let committed, _) = state { return committed }
        return 0
    }

    mutating func start() -> Action {
        precondition(state == .idle, "a load starts once")
        state = .claiming
        return .claim
    }

    /// The claim was taken (true), or another liqsync has the asset and the driver skips it.
    mutating func claimed(_ taken: Bool) -> Action {
        precondition(state == .claiming, "claimed while \(state)")
        guard taken else {
            state = .finished(.notClaimed)
            return .finish(.notClaimed)
        }
        state = .planning
        return .plan
    }

    /// The driver planned windows (`abandonable`: it can undo a first load that fails before
    /// any commit), or nothing (`nil`).
    mutating func planned(abandonable: Bool?) -> Action {
        precondition(state == .planning, "planned while \(state)")
        guard let abandonable else { return release(ending: .notPlanned) }
        state = .loading(committed: 0, abandonable: abandonable)
        return .load
    }

    /// A window was written (or, prepared to nothing, compared) and committed.
    mutating func windowCommitted() -> Action {
        guard case .loading(let committed, let abandonable) = state else { preconditionFailure("committed while \(state)") }
        state = .loading(committed: committed + 1, abandonable: abandonable)
        return .writeNext
    }

    /// Every planned window is written.
    mutating func windowsDone() -> Action {
        guard case .loading = state else { preconditionFailure("windows done while \(state)") }
        return release(ending: .completed)
    }

    /// Taking the claim, planning or a window failed.
    mutating func failed(_ failure: Failure) -> Action {
        switch state {
        case .claiming:
            guard failure != .cancelled else {
                state = .finished(.interrupted)
                return .finish(.interrupted)
            }
            return record(claimed: false)
        case .planning:
            return failure == .cancelled ? release(ending: .interrupted) : record(claimed: true)
        case .loading(let committed, let abandonable):
            if failure == .cancelled { return release(ending: .interrupted) }
            if committed == 0 && abandonable && failure != .claimLost {
                state = .abandoning
                return .abandon
            }
            return record(claimed: true)
        default:
            preconditionFailure("failed while \(state)")
        }
    }

    /// The driver dealt with a failed first load (it left nothing behind), or could not.
    mutating func abandoned(_ dealtWith: Bool) -> Action {
        precondition(state == .abandoning, "abandoned while \(state)")
        return dealtWith ? release(ending: .failed) : record(claimed: true)
    }

    /// The failure is recorded (or recording it failed: nothing more can be done about it).
    mutating func recorded() -> Action {
        guard case .recording(let claimed) = state else { preconditionFailure("recorded while \(state)") }
        guard claimed else {
            state = .finished(.failed)
            return .finish(.failed)
        }
        return release(ending: .failed)
    }

    /// The claim is given back.
    mutating func released() -> Action {
        guard case .releasing(let ending) = state else { preconditionFailure("released while \(state)") }
        state = .finished(ending)
        return .finish(ending)
    }

    private mutating func record(claimed: Bool) -> Action {
        guard recordsFailures else {
            if claimed { return release(ending: .failed) }
            state = .finished(.failed)
            return .finish(.failed)
        }
        state = .recording(claimed: claimed)
        return .recordFailure
    }

    private mutating func release(ending: Ending) -> Action {
        state = .releasing(ending)
        return .release
    }
}
