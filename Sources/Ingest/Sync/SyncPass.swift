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
    public func dueAssets(only names: [AssetCode]? = nil) async throws -> [AssetCode] {
        let now = Int64(syncer.now().timeIntervalSince1970)
        return try await pool.withConnection { connection in
            try await ClockCheck.verify(localNow: now, on: connection)
            return try await AssetStore(connection: connection).list(countingStoredHours: false, only: names)
                .filter(\.enabled).map(\.asset)
        }
    }

    public func run(_ assets: [AssetCode]) async -> [AssetSyncOutcome] {
        let concurrency = max(1, syncer.settings.concurrency)
        return await withTaskGroup(of: AssetSyncOutcome.self) { group in
            var pending = assets[...]
            var outcomes: [AssetSyncOutcome] = []
            func startNext() {
                guard let asset = pending.popFirst() else { return }
                group.addTask { await self.syncOne(asset) }
            }
            for _ in 0..<concurrency { startNext() }
            for await outcome in group {
                outcomes.append(outcome)
                if !Task.isCancelled { startNext() }
            }
            for asset in pending { outcomes.append(AssetSyncOutcome(asset: asset, status: .interrupted)) }
            return outcomes.sorted { $0.asset < $1.asset }
        }
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
