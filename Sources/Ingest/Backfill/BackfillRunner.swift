import FoundationEssentials
import KaikoAPI
import LiquidationModel
import LiquidationStore
import Logging
import Postgres

/// Loads history for one asset through the pipeline (`WindowPipeline`), as sync does: waits for
/// the asset's claim (a running service finishes its chunk first), starts or resumes its job
/// under the claim, and commits each chunk with the job's progress in its transaction.
public struct BackfillRunner: Sendable {
    public let source: any WindowSource
    public let writer: any ChunkWriting
    public let logger: Logger
    public let progress: BackfillProgress
    /// Chunk size, write guards and chunks fetched ahead, as the service's.
    public let settings: LoadSettings
    /// When each chunk's read starts (the command's clock).
    public let now: @Sendable () -> Date

    public init(
        source: any WindowSource, writer: any ChunkWriting = ChunkWriter(), logger: Logger, progress: BackfillProgress,
        settings: LoadSettings = LoadSettings(), now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.source = source
        self.writer = writer
        self.logger = logger
        self.progress = progress
        self.settings = settings
        self.now = now
    }

    public typealias Plan = BackfillPlan

    public struct Outcome: Sendable {
        public let asset: AssetCode
        public var hours = 0
        public var chunks = 0
        public var requests = 0
        public var pages = 0
        public var rows = RowCounts()
        public var seconds = 0.0
        public var alreadyLoaded = false

        public init(asset: AssetCode) { self.asset = asset }
    }

    /// The plan of one asset (read-only).
    public func plan(
        asset: AssetCode, from: UTCHour, to: UTCHour?, restart: Bool, settledEnd: UTCHour, on connection: PostgresConnection
    ) async throws -> Plan {
        try await BackfillPlan.make(
            asset: asset, from: from, to: to, restart: restart, settledEnd: settledEnd, maxChunkHours: settings.maxChunkHours,
            on: connection)
    }

    /// Runs the plan in `session`; throws what stopped it (the failure is recorded first).
    public func run(_ plan: Plan, restart: Bool, in session: LoadSession) async throws -> Outcome {
        var outcome = Outcome(asset: plan.asset)
        if plan.alreadyLoaded {
            outcome.alreadyLoaded = true
            return outcome
        }
        var logger = self.logger
        logger[metadataKey: "asset"] = "\(plan.asset)"
        let started = ContinuousClock.now
        let asset = plan.asset
        let waiting: @Sendable (Bool) -> Void = { [progress, logger] waiting in
            if waiting { logger.notice("waiting: another liqsync (the service?) is writing this asset") }
            progress.note(asset, waiting ? "waiting for another liqsync" : nil)
        }
        let pipeline = WindowPipeline(source: source, writer: writer, now: now, prefetchChunks: settings.prefetchChunks)
        let loaded = await pipeline.load(
            asset, kind: .backfill, claim: .waiting(onWait: waiting), session: session, logger: logger,
            plan: loadPlan(plan, restart: restart)
        ) { committed in
            guard let result = committed.result else { return }
            progress.advance(asset, hours: committed.window.hourCount, rows: result.rows.written, requests: committed.fetched.requests)
            logger.info(
                "committed backfill chunk",
                metadata: [
                    "window": "\(committed.window)", "records": "\(committed.fetched.records.count)",
                    "inserted": "\(result.rows.inserted)", "updated": "\(result.rows.updated)",
                    "unchanged": "\(result.rows.unchanged)",
                ])
        }
        switch loaded.end {
        case .failed(_, let error): throw error
        case .interrupted: throw CancellationError()
        case .completed, .notClaimed, .notPlanned: break
        }
        progress.finish(asset)
        outcome.hours = loaded.hours
        outcome.chunks = loaded.chunks
        outcome.requests = loaded.requests
        outcome.pages = loaded.pages
        outcome.rows = loaded.rows
        outcome.seconds = started.duration(to: .now).inSeconds
        return outcome
    }

    /// Under the claim: the job started or resumed (an asset not tracked yet tracked in the same
    /// transaction), its remaining chunks, its progress committed with each, and no unknown
    /// asset code left tracked when its first chunk fails.
    private func loadPlan(_ plan: Plan, restart: Bool) -> @Sendable (PostgresConnection) async throws -> LoadPlan? {
        { [progress, settings] connection in
            let (job, createdAsset) = try await BackfillJobs.startOrResume(
                asset: plan.asset, range: plan.range, resumeFrom: plan.resumeFrom, restart: restart,
                tracking: plan.tracksNewAsset, on: connection)
            progress.begin(plan.asset, totalHours: plan.range.hourCount, alreadyDone: plan.range.start.distance(to: job.doneUntil))
            var load = LoadPlan(
                windows: job.remaining.chunks(ofAtMost: settings.maxChunkHours), guards: settings.guards(settledEnd: plan.settledEnd))
            load.progress = { window, connection in
                try BackfillJobs.recordProgress(job, doneUntil: window.end, connection: connection)
            }
            if createdAsset {
                load.abandon = { error, connection in
                    guard Self.meansUnknownAsset(error) else { return false }
                    // Do not leave behind an asset the API does not know.
                    _ = try? await AssetStore(connection: connection).remove(plan.asset, purge: true)
                    return true
                }
            }
            return load
        }
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
