import FoundationEssentials
import LiquidationModel
import LiquidationStore
import Logging

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
    public func run(_ assets: [AssetCode]) async -> [AssetSyncOutcome] {
        guard !assets.isEmpty else { return [] }
        let settings = syncer.settings
        let outcomes: [AssetSyncOutcome?]
        do {
            outcomes = try await LoadSession.with(
                pool: pool, writers: settings.concurrency, prefetchChunks: settings.prefetchChunks,
                claimLease: settings.claimLease, logger: syncer.logger
            ) { [syncer] session in
                await boundedConcurrentMap(assets, limit: max(settings.concurrency, settings.requestsInFlight)) { asset in
                    await syncer.sync(asset, using: session)
                }
            }
        } catch {
            syncer.logger.error("no database connection for the pass", metadata: ["error": "\(error)"])
            let failed = AssetSyncOutcome.Status.failed("\(error)", FailureKind(classifying: error))
            return assets.map { AssetSyncOutcome(asset: $0, status: failed) }.sorted { $0.asset < $1.asset }
        }
        return zip(assets, outcomes).map { asset, outcome in
            outcome ?? AssetSyncOutcome(asset: asset, status: .interrupted)
        }.sorted { $0.asset < $1.asset }
    }
}
