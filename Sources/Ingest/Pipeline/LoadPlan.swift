import FoundationEssentials
import KaikoAPI
import LiquidationModel
import LiquidationStore

/// What a driver (sync, backfill, repair) plans for one asset under its claim: which windows, in
/// order, the writer's guards, and what its own hooks need (`context`). The loop is the same.
public struct LoadPlan<Context: Sendable>: Sendable {
    public var windows: [HourWindow]
    public var guards: ChunkGuards
    /// What planning found that the driver's hooks need for each window (a backfill's job).
    public var context: Context
    /// The lookback a sync re-read, recorded on the asset (`ChunkWrite.lookbackHours`).
    public var lookbackHours: Int?
    /// The asset's watermark as planned: the outcome's until a chunk moves it.
    public var watermark: UTCHour?
    /// Holds long chunks in memory (an asset catching up): at most as many such assets at once
    /// as there are writers.
    public var catchingUp = false
    /// The driver can undo this load if its first window fails before any commit
    /// (`LoadDriver.abandon`): a backfill that started tracking an asset code.
    public var abandonable = false

    public init(windows: [HourWindow], guards: ChunkGuards, context: Context) {
        self.windows = windows
        self.guards = guards
        self.context = context
    }
}

extension LoadPlan where Context == Void {
    public init(windows: [HourWindow], guards: ChunkGuards) {
        self.init(windows: windows, guards: guards, context: ())
    }
}

/// How loading an asset went: the one outcome of sync, run and backfill (a repair's report
/// holds one too), for summaries, exit statuses, metrics and the scheduler.
public struct LoadOutcome: Sendable {
    public enum End: Sendable {
        /// Every window was written (possibly none).
        case completed
        /// Another liqsync had the asset, and the driver left it to that one.
        case notClaimed
        /// The driver planned nothing (an asset not tracked or disabled, a range already loaded).
        case notPlanned
        /// Shutdown began before the asset was done; what was committed stays.
        case interrupted
        /// The claim, the planning or a window (`window`) failed; earlier windows stay committed.
        case failed(window: HourWindow?, error: any Error)
    }

    public let asset: AssetCode
    public var end: End
    public var chunks = 0
    public var hours = 0
    public var requests = 0
    public var pages = 0
    public var rows = RowCounts()
    /// The watermark after the last commit (or as the plan found it).
    public var watermark: UTCHour?
    /// From the start of the load (the claim) to its end.
    public var seconds = 0.0

    public init(asset: AssetCode, end: End = .completed) {
        self.asset = asset
        self.end = end
    }

    /// What failed, if anything did.
    public var failure: (any Error)? {
        if case .failed(_, let error) = end { return error }
        return nil
    }

    /// The failure's kind (`FailureKind(classifying:)`), nil when nothing failed.
    public var failureKind: FailureKind? { failure.map(FailureKind.init(classifying:)) }

    /// Every planned window written (possibly none).
    public var completed: Bool {
        if case .completed = end { return true }
        return false
    }

    public var interrupted: Bool {
        if case .interrupted = end { return true }
        return false
    }

    /// The failure, with the window it stopped at: `[2025-03-01T00:00:00Z, ...): HTTP 503 ...`.
    public var failureText: String? {
        guard case .failed(let window, let error) = end else { return nil }
        return window.map { "\($0): \(error)" } ?? "\(error)"
    }
}

/// One committed window (or, for a repair with nothing to write, a compared one), for the
/// driver's report, progress, metrics and logs.
public struct CommittedWindow<Finding: Sendable>: Sendable {
    public let window: HourWindow
    public let fetched: FetchedWindow
    /// Nil when the driver's `prepare` had nothing to write.
    public let result: ChunkWriteResult?
    /// What the driver's `prepare` found in the window.
    public let finding: Finding
}

extension FetchedWindow {
    /// What its records take in memory, roughly: each record and its exchange entries, inline.
    /// What `FetchAhead` bounds.
    public var estimatedBytes: Int {
        records.reduce(0) { bytes, record in
            bytes + MemoryLayout<IntervalRecord>.stride + 32 + record.exchanges.count * MemoryLayout<ExchangeBreakdown>.stride
        }
    }
}
