import FoundationEssentials
import KaikoAPI
import LiquidationModel
import LiquidationStore
import Postgres

/// What a driver (sync, backfill, repair) hands the pipeline for one asset, decided under the
/// asset's claim: which windows, in order, and what progress means. The loop is the same.
public struct LoadPlan: Sendable {
    public var windows: [HourWindow]
    public var guards: ChunkGuards
    /// The lookback a sync re-read, recorded on the asset (`ChunkWrite.lookbackHours`).
    public var lookbackHours: Int?
    /// The asset's watermark as planned: the outcome's until a chunk moves it.
    public var watermark: UTCHour?
    /// Holds long chunks in memory (an asset catching up): at most as many such assets at once
    /// as there are writers.
    public var catchingUp = false
    /// What each chunk's transaction records besides the data and the watermark (a backfill's
    /// job progress), before its claim is checked and it commits.
    public var progress: (@Sendable (HourWindow, isolated PostgresConnection) throws -> Void)?
    /// Turns a fetched chunk into the one to write, on the writer connection (a repair writes
    /// only the hours that differ); nil writes nothing for the window.
    public var prepare: (@Sendable (ChunkWrite, PostgresConnection) async throws -> ChunkWrite?)?
    /// Called, under the claim, when a chunk fails before any was committed: true when it dealt
    /// with the failure (a backfill leaving no unknown asset code tracked), which is then not recorded.
    public var abandon: (@Sendable (any Error, PostgresConnection) async -> Bool)?

    public init(windows: [HourWindow], guards: ChunkGuards) {
        self.windows = windows
        self.guards = guards
    }
}

/// How loading an asset went.
public struct LoadOutcome: Sendable {
    public enum End: Sendable {
        /// Every window was written (possibly none).
        case completed
        /// Another liqsync had the asset, and the mode was to leave it.
        case notClaimed
        /// The driver planned nothing (an asset not tracked, or disabled).
        case notPlanned
        /// Shutdown began before the asset was done; what was committed stays.
        case interrupted
        /// A window (or the planning) failed; earlier windows stay committed.
        case failed(window: HourWindow?, error: any Error)
    }

    public let asset: AssetCode
    public var end: End = .completed
    public var chunks = 0
    public var hours = 0
    public var requests = 0
    public var pages = 0
    public var rows = RowCounts()
    /// The watermark after the last commit (or as the plan found it).
    public var watermark: UTCHour?

    public init(asset: AssetCode) { self.asset = asset }
}

/// One committed (or, for a repair with nothing to write, compared) window, for the driver's
/// progress, metrics and logs.
public struct CommittedWindow: Sendable {
    public let window: HourWindow
    public let fetched: FetchedWindow
    /// Nil when the plan's `prepare` had nothing to write.
    public let result: ChunkWriteResult?
}
