import FoundationEssentials
import KaikoAPI
import LiquidationModel
import LiquidationStore
import Logging
import Postgres

/// Keeps assets current through the pipeline (`WindowPipeline`, driven by `SyncLoad`), and says
/// what each pass did in the metrics and to the watchdog.
public struct AssetSyncer: Sendable {
    public let pipeline: WindowPipeline
    public let metrics: SyncMetrics
    /// Called after each committed chunk (the watchdog's sign of life).
    public let onProgress: @Sendable () -> Void

    public init(pipeline: WindowPipeline, metrics: SyncMetrics = SyncMetrics(), onProgress: @escaping @Sendable () -> Void = {}) {
        self.pipeline = pipeline
        self.metrics = metrics
        self.onProgress = onProgress
    }

    public var settings: LoadSettings { pipeline.settings }
    public var logger: Logger { pipeline.logger }
    public var now: @Sendable () -> Date { pipeline.now }

    public func sync(_ asset: AssetCode, using session: LoadSession) async -> LoadOutcome {
        await pipeline.load(SyncLoad(asset: asset, syncer: self), in: session)
    }
}

/// A sync of one asset: leaves an asset another liqsync has claimed to it, reads the asset under
/// its claim (another liqsync may have moved its watermark), plans the new settled hours with
/// the lookback and the open hours (`SyncPlanner`), and records the lookback with each chunk.
struct SyncLoad: LoadDriver {
    typealias Report = LoadOutcome

    let asset: AssetCode
    let syncer: AssetSyncer

    var kind: RunKind { .sync }
    var claimMode: ClaimMode { .skipIfTaken }

    /// Nil for an asset not tracked, or disabled.
    func plan(on connection: PostgresConnection) async throws -> LoadPlan<Void>? {
        let store = AssetStore(connection: connection)
        guard let tracked = try await store.asset(asset), tracked.enabled else { return nil }
        let settings = syncer.settings
        let nowSeconds = Int64(syncer.now().timeIntervalSince1970)
        syncer.metrics.recordLag(asset: asset, watermark: tracked.watermark, now: nowSeconds)
        let openHours = tracked.openHours > 0 ? try await store.openHours(of: asset) : []
        var plan = LoadPlan(
            windows: SyncPlanner.plan(tracked, openHours: openHours, now: nowSeconds, settings: settings),
            guards: settings.guards(now: nowSeconds))
        plan.lookbackHours = settings.lookbackHours
        plan.watermark = tracked.watermark
        // An asset catching up holds long chunks, and those fetched ahead on the pass's shared
        // budget: twice as many such assets at once as there are writers. One new hour or a few (the
        // steady state) is small, and as many assets as `requestsInFlight` may wait.
        plan.catchingUp = plan.windows.count > 1
            || (plan.windows.first?.hourCount ?? 0) > LoadSettings.catchingUpAboveHours
        return plan
    }

    func committed(_ committed: CommittedWindow<Void>, into report: inout LoadOutcome) {
        guard let result = committed.result else { return }
        let fetched = committed.fetched
        syncer.metrics.recordChunk(asset: asset, result: result, requests: fetched.requests)
        syncer.metrics.recordLag(asset: asset, watermark: result.watermark, now: Int64(syncer.now().timeIntervalSince1970))
        syncer.onProgress()
        syncer.logger.info(
            "committed chunk",
            metadata: [
                "asset": "\(asset)", "window": "\(committed.window)", "records": "\(fetched.records.count)",
                "pages": "\(fetched.pages)", "requests": "\(fetched.requests)", "inserted": "\(result.rows.inserted)",
                "updated": "\(result.rows.updated)", "deleted": "\(result.rows.deleted)",
                "unchanged": "\(result.rows.unchanged)", "revisions": "\(result.revisions)", "watermark": "\(result.watermark)",
                "hours_emptied": "\(result.hoursEmptied)", "open_hours_confirmed": "\(result.openHoursConfirmed)",
                "open_hours_restored": "\(result.openHoursRestored)",
            ])
    }

    func finished(_ outcome: LoadOutcome, into report: inout LoadOutcome) {
        report = outcome
        if case .notClaimed = outcome.end {
            syncer.logger.info("skipping: another liqsync holds this asset's claim", metadata: ["asset": "\(asset)"])
        }
        syncer.metrics.recordPass(outcome)
    }
}
