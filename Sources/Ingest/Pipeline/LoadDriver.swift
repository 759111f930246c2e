import LiquidationModel
import LiquidationStore
import Postgres

/// What one command brings to the pipeline for one asset: sync (`SyncLoad`), backfill
/// (`BackfillLoad`) and a repair (`RepairLoad`) are each a small conformance; the loop, its rules
/// (`AssetLoadStateMachine`) and its I/O (`WindowPipeline`) are shared. A driver plans under the
/// claim, may turn each fetched window into what to write, may record progress in each window's
/// transaction and may undo a first load, and owns its report.
public protocol LoadDriver: Sendable {
    /// What planning found that the hooks need for each window (a backfill's job).
    associatedtype Context: Sendable = Void
    /// What preparing a window found that the report needs (a repair's differences).
    associatedtype Finding: Sendable = Void
    /// What the driver tells its command about the asset.
    associatedtype Report: Sendable

    var asset: AssetCode { get }
    var kind: RunKind { get }
    /// Whether the driver leaves an asset another liqsync has, or waits for it.
    var claimMode: ClaimMode { get }

    /// Under the claim, on a writer connection: the windows and what they need; nil when there is
    /// nothing to do.
    func plan(on connection: PostgresConnection) async throws -> LoadPlan<Context>?

    /// A fetched window, on its writer connection before its transaction: what to write of it
    /// (nil: nothing) and what was found.
    func prepare(_ chunk: ChunkWrite, context: Context, on connection: PostgresConnection) async throws
        -> (write: ChunkWrite?, finding: Finding)

    /// In each window's transaction, after its data and before the claim's check: the driver's
    /// own progress, committed with the data or not at all.
    func recordProgress(through window: HourWindow, context: Context, on connection: isolated PostgresConnection) throws

    /// Undoes a first load whose first window failed (`LoadPlan.abandonable`), under the claim;
    /// true when it did, and the failure is then not recorded.
    func abandon(after error: any Error, context: Context, on connection: PostgresConnection) async -> Bool

    /// The report before anything happened.
    func makeReport() -> Report
    func planned(_ plan: LoadPlan<Context>, into report: inout Report)
    func committed(_ window: CommittedWindow<Finding>, into report: inout Report)
    /// The load is over: `outcome` says how.
    func finished(_ outcome: LoadOutcome, into report: inout Report)
}

extension LoadDriver where Finding == Void {
    public func prepare(_ chunk: ChunkWrite, context: Context, on connection: PostgresConnection) async throws
        -> (write: ChunkWrite?, finding: Void)
    {
        (chunk, ())
    }
}

extension LoadDriver {
    public func recordProgress(through window: HourWindow, context: Context, on connection: isolated PostgresConnection) throws {}

    public func abandon(after error: any Error, context: Context, on connection: PostgresConnection) async -> Bool { false }

    public func planned(_ plan: LoadPlan<Context>, into report: inout Report) {}

    public func committed(_ window: CommittedWindow<Finding>, into report: inout Report) {}
}

extension LoadDriver where Report == LoadOutcome {
    public func makeReport() -> LoadOutcome { LoadOutcome(asset: asset) }

    public func finished(_ outcome: LoadOutcome, into report: inout LoadOutcome) {
        report = outcome
    }
}
