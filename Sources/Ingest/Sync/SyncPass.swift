import FoundationEssentials
import LiquidationModel
import LiquidationStore
import Logging
import Postgres

/// One pass over the tracked assets: each enabled asset synced once. One asset's failure does not
/// stop the others.
public struct SyncPass: Sendable {
    public let syncer: AssetSyncer
    public let pool: ConnectionPool

    public init(syncer: AssetSyncer, pool: ConnectionPool) {
        self.syncer = syncer
        self.pool = pool
    }

    /// The enabled assets (all, or those named), read afresh so an `assets add` takes effect
    /// without a restart; after checking that the syncer's clock has not jumped ahead.
    public func dueAssets(only names: [AssetCode]?) async throws -> [AssetCode] {
        let now = Int64(syncer.now().timeIntervalSince1970)
        return try await pool.withConnection { connection in
            try await ClockCheck.verify(localNow: now, on: connection)
            return try await AssetStore(connection: connection).list(countingStoredHours: false, only: names)
                .filter(\.enabled).map(\.asset)
        }
    }

    /// Syncs `assets`: up to `settings.requestsInFlight` in progress at once, their claims held
    /// by one session of the pass, their chunks written at most `settings.concurrency` at a time
    /// (see `LoadSession`). An asset not started before shutdown is reported interrupted.
    public func run(_ assets: [AssetCode]) async -> [LoadOutcome] {
        guard !assets.isEmpty else { return [] }
        let (current, due) = await splitCurrent(assets)
        syncer.logger.debug("pass", metadata: ["current": "\(current.count)", "due": "\(due.count)"])
        guard !due.isEmpty else { return current.sorted { $0.asset < $1.asset } }
        let settings = syncer.settings
        let outcomes: [LoadOutcome?]
        do {
            outcomes = try await syncer.pipeline.withSession(pool: pool) { [syncer] session in
                await boundedConcurrentMap(due, limit: max(settings.concurrency, settings.requestsInFlight)) { asset in
                    await syncer.sync(asset, using: session)
                }
            }
        } catch {
            syncer.logger.error("no database connection for the pass", metadata: ["error": "\(error)"])
            let failed = LoadOutcome.End.failed(window: nil, error: error)
            return (current + due.map { LoadOutcome(asset: $0, end: failed) }).sorted { $0.asset < $1.asset }
        }
        return (current + zip(due, outcomes).map { asset, outcome in
            outcome ?? LoadOutcome(asset: asset, end: .interrupted)
        }).sorted { $0.asset < $1.asset }
    }

    /// The assets with nothing to do, by one read of them all: no newly settled hour and no open
    /// hour. Nothing another liqsync does meanwhile can give them work (it can only move a
    /// watermark ahead), so they are reported up to date without a claim and the two round trips
    /// each that claiming, reading under the claim and releasing cost (a pass over hundreds of
    /// current assets is otherwise a second of round trips). The rest are due; all of them when
    /// the read fails (each is then read under its claim, as always).
    private func splitCurrent(_ assets: [AssetCode]) async -> (current: [LoadOutcome], due: [AssetCode]) {
        let nowSeconds = Int64(syncer.now().timeIntervalSince1970)
        guard let tracked = try? await pool.withConnection({ connection in
            try await AssetStore(connection: connection).list(countingStoredHours: false, only: assets)
        }) else { return ([], assets) }
        var current: [LoadOutcome] = []
        var currentCodes: Set<AssetCode> = []
        for asset in tracked where asset.enabled && asset.openHours == 0 {
            guard SyncPlanner.plan(asset, now: nowSeconds, settings: syncer.settings).isEmpty else { continue }
            var outcome = LoadOutcome(asset: asset.asset)
            outcome.watermark = asset.watermark
            syncer.metrics.recordLag(asset: asset.asset, watermark: asset.watermark, now: nowSeconds)
            syncer.metrics.recordPass(outcome)
            current.append(outcome)
            currentCodes.insert(asset.asset)
        }
        return (current, assets.filter { !currentCodes.contains($0) })
    }
}
