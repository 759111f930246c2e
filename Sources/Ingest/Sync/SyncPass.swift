import Foundation
import LiquidationModel
import LiquidationStore
import Logging

/// One pass over the tracked assets: each enabled asset synced once, at most `concurrency`
/// at a time, each on its own connection. One asset's failure does not stop the others.
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

    /// Syncs `assets`, at most `settings.concurrency` at a time; an asset not started before
    /// shutdown is reported interrupted.
    public func run(_ assets: [AssetCode]) async -> [AssetSyncOutcome] {
        let outcomes = await boundedConcurrentMap(assets, limit: syncer.settings.concurrency) { asset in
            await self.syncOne(asset)
        }
        return zip(assets, outcomes).map { asset, outcome in
            outcome ?? AssetSyncOutcome(asset: asset, status: .interrupted)
        }.sorted { $0.asset < $1.asset }
    }

    private func syncOne(_ asset: AssetCode) async -> AssetSyncOutcome {
        do {
            return try await pool.withConnection { connection in
                await syncer.sync(asset, on: connection)
            }
        } catch {
            syncer.logger.error("no database connection for the asset", metadata: ["asset": "\(asset)", "error": "\(error)"])
            return AssetSyncOutcome(asset: asset, status: .failed("\(error)", FailureKind(classifying: error)))
        }
    }
}
