import FoundationEssentials
import KaikoAPI
import LiquidationModel
import LiquidationStore
import Logging
import Postgres

/// Loads history through the pipeline (`WindowPipeline`, driven by `BackfillLoad`), as sync
/// does, and shows its progress.
public struct BackfillRunner: Sendable {
    public let pipeline: WindowPipeline
    public let progress: BackfillProgress

    public init(pipeline: WindowPipeline, progress: BackfillProgress) {
        self.pipeline = pipeline
        self.progress = progress
    }

    /// The plan of one asset (read-only).
    public func plan(
        asset: AssetCode, from: UTCHour, to: UTCHour?, restart: Bool, settledEnd: UTCHour, on connection: PostgresConnection
    ) async throws -> BackfillPlan {
        try await BackfillPlan.make(
            asset: asset, from: from, to: to, restart: restart, settledEnd: settledEnd,
            maxChunkHours: pipeline.settings.maxChunkHours, on: connection)
    }

    /// Runs the plan in `session`; a plan with nothing to do (`alreadyLoaded`) ends not planned.
    public func run(_ plan: BackfillPlan, restart: Bool, in session: LoadSession) async -> LoadOutcome {
        guard !plan.alreadyLoaded else { return LoadOutcome(asset: plan.asset, end: .notPlanned) }
        return await pipeline.load(BackfillLoad(plan: plan, restart: restart, runner: self), in: session)
    }
}

/// A backfill of one asset: waits for the asset's claim (a running service finishes its chunk
/// first), starts or resumes its job under the claim, and commits each chunk with the job's
/// progress in its transaction; a first load of an unknown asset code leaves nothing tracked.
struct BackfillLoad: LoadDriver {
    typealias Report = LoadOutcome

    let plan: BackfillPlan
    let restart: Bool
    let runner: BackfillRunner

    var asset: AssetCode { plan.asset }
    var kind: RunKind { .backfill }

    var claimMode: ClaimMode {
        .waiting(onWait: { [asset, progress = runner.progress, logger = runner.pipeline.logger] waiting in
            if waiting {
                logger.notice("waiting: another liqsync (the service?) is writing this asset", metadata: ["asset": "\(asset)"])
            }
            progress.note(asset, waiting ? "waiting for another liqsync" : nil)
        })
    }

    /// Under the claim: the job started or resumed (an asset not tracked yet tracked in the same
    /// transaction) and its remaining chunks.
    func plan(on connection: PostgresConnection) async throws -> LoadPlan<BackfillJob>? {
        let (job, createdAsset) = try await BackfillJobs.startOrResume(
            asset: plan.asset, range: plan.range, resumeFrom: plan.resumeFrom, restart: restart,
            tracking: plan.tracksNewAsset, on: connection)
        runner.progress.begin(plan.asset, totalHours: plan.range.hourCount, alreadyDone: plan.range.start.distance(to: job.doneUntil))
        let settings = runner.pipeline.settings
        var load = LoadPlan(
            windows: job.remaining.chunks(ofAtMost: settings.maxChunkHours), guards: settings.guards(settledEnd: plan.settledEnd),
            context: job)
        load.abandonable = createdAsset
        return load
    }

    func recordProgress(through window: HourWindow, context job: BackfillJob, on connection: isolated PostgresConnection) throws {
        try BackfillJobs.recordProgress(job, doneUntil: window.end, connection: connection)
    }

    /// A first load the API answers as it answers an unknown code leaves no such asset tracked.
    func abandon(after error: any Error, context: BackfillJob, on connection: PostgresConnection) async -> Bool {
        guard Self.meansUnknownAsset(error) else { return false }
        _ = try? await AssetStore(connection: connection).remove(plan.asset, purge: true)
        return true
    }

    func committed(_ committed: CommittedWindow<Void>, into report: inout LoadOutcome) {
        guard let result = committed.result else { return }
        runner.progress.advance(
            asset, hours: committed.window.hourCount, rows: result.rows.written, requests: committed.fetched.requests)
        runner.pipeline.logger.info(
            "committed backfill chunk",
            metadata: [
                "asset": "\(asset)", "window": "\(committed.window)", "records": "\(committed.fetched.records.count)",
                "inserted": "\(result.rows.inserted)", "updated": "\(result.rows.updated)",
                "unchanged": "\(result.rows.unchanged)",
            ])
    }

    func finished(_ outcome: LoadOutcome, into report: inout LoadOutcome) {
        report = outcome
        if outcome.completed { runner.progress.finish(asset) }
    }

    /// A 404, or a first load that brought nothing at all: how an unknown asset code is answered.
    static func meansUnknownAsset(_ error: any Error) -> Bool {
        switch error {
        case KaikoError.unknownAsset: return true
        case StoreError.emptyFirstLoad: return true
        default: return false
        }
    }
}
