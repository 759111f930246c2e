import FoundationEssentials
import KaikoAPI
import LiquidationModel
import LiquidationStore
import Logging
import Postgres

/// Keeps one asset current through the pipeline (`WindowPipeline`): leaves an asset another
/// liqsync has claimed to it, reads the asset under its claim, plans the windows (`SyncPlanner`:
/// the new settled hours with the lookback, and the open hours), and records what the pass did
/// for the summary, the metrics and the watchdog.
public struct AssetSyncer: Sendable {
    public let source: any WindowSource
    public let writer: any ChunkWriting
    public let settings: LoadSettings
    public let logger: Logger
    public let now: @Sendable () -> Date
    public let metrics: SyncMetrics
    /// Called after each committed chunk (the watchdog's sign of life).
    public let onProgress: @Sendable () -> Void

    public init(
        source: any WindowSource, writer: any ChunkWriting = ChunkWriter(), settings: LoadSettings, logger: Logger,
        now: @escaping @Sendable () -> Date = Date.init, metrics: SyncMetrics = SyncMetrics(),
        onProgress: @escaping @Sendable () -> Void = {}
    ) {
        self.source = source
        self.writer = writer
        self.settings = settings
        self.logger = logger
        self.now = now
        self.metrics = metrics
        self.onProgress = onProgress
    }

    var pipeline: WindowPipeline {
        WindowPipeline(source: source, writer: writer, now: now, prefetchChunks: settings.prefetchChunks)
    }

    public func sync(_ asset: AssetCode, using session: LoadSession) async -> AssetSyncOutcome {
        let started = ContinuousClock.now
        var logger = self.logger
        logger[metadataKey: "asset"] = "\(asset)"
        let loaded = await pipeline.load(
            asset, kind: .sync, claim: .skipIfTaken, session: session, logger: logger, plan: plan(asset),
            committed: { committed in self.committed(committed, of: asset, logger: logger) })
        var outcome = AssetSyncOutcome(loaded)
        if case .notClaimed = loaded.end { logger.info("skipping: another liqsync holds this asset's claim") }
        outcome.seconds = started.duration(to: .now).inSeconds
        metrics.recordPass(outcome)
        return outcome
    }

    /// The asset read under its claim (another liqsync may have moved its watermark), and its
    /// windows; nil for an asset not tracked or disabled.
    private func plan(_ asset: AssetCode) -> @Sendable (PostgresConnection) async throws -> LoadPlan? {
        { [settings, now, metrics] connection in
            let store = AssetStore(connection: connection)
            guard let tracked = try await store.asset(asset), tracked.enabled else { return nil }
            let nowSeconds = Int64(now().timeIntervalSince1970)
            metrics.recordLag(asset: asset, watermark: tracked.watermark, now: nowSeconds)
            let openHours = tracked.openHours > 0 ? try await store.openHours(of: asset) : []
            var plan = LoadPlan(
                windows: SyncPlanner.plan(tracked, openHours: openHours, now: nowSeconds, settings: settings),
                guards: settings.guards(now: nowSeconds))
            plan.lookbackHours = settings.lookbackHours
            plan.watermark = tracked.watermark
            // An asset catching up holds long chunks, and those fetched ahead on the pass's
            // shared budget: as many such assets at once as there are writers. One new hour or a
            // few (the steady state) is small, and as many assets as `requestsInFlight` may wait.
            plan.catchingUp = plan.windows.count > 1
                || (plan.windows.first?.hourCount ?? 0) > LoadSettings.catchingUpAboveHours
            return plan
        }
    }

    private func committed(_ committed: CommittedWindow, of asset: AssetCode, logger: Logger) {
        guard let result = committed.result else { return }
        let fetched = committed.fetched
        metrics.recordChunk(asset: asset, result: result, requests: fetched.requests)
        metrics.recordLag(asset: asset, watermark: result.watermark, now: Int64(now().timeIntervalSince1970))
        onProgress()
        logger.info(
            "committed chunk",
            metadata: [
                "window": "\(committed.window)", "records": "\(fetched.records.count)", "pages": "\(fetched.pages)",
                "requests": "\(fetched.requests)", "inserted": "\(result.rows.inserted)",
                "updated": "\(result.rows.updated)", "deleted": "\(result.rows.deleted)",
                "unchanged": "\(result.rows.unchanged)", "revisions": "\(result.revisions)", "watermark": "\(result.watermark)",
                "hours_emptied": "\(result.hoursEmptied)", "open_hours_confirmed": "\(result.openHoursConfirmed)",
                "open_hours_restored": "\(result.openHoursRestored)",
            ])
    }
}
