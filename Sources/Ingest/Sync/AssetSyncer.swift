import Foundation
import KaikoAPI
import LiquidationModel
import LiquidationStore
import Logging
import Postgres

/// Keeps one asset current: takes its lock, plans the windows, and for each chunk fetches,
/// validates and writes in one transaction. A failure stops the asset (later chunks would
/// leave a gap below the watermark), records `last_error`, and leaves the watermark where the
/// last committed chunk put it.
public struct AssetSyncer: Sendable {
    public let client: KaikoClient
    public let settings: SyncSettings
    public let logger: Logger
    public let now: @Sendable () -> Date
    public let metrics: SyncMetrics
    /// Called after each committed chunk (the watchdog's sign of life).
    public let onProgress: @Sendable () -> Void

    public init(
        client: KaikoClient, settings: SyncSettings, logger: Logger, now: @escaping @Sendable () -> Date = Date.init,
        metrics: SyncMetrics = SyncMetrics(), onProgress: @escaping @Sendable () -> Void = {}
    ) {
        self.client = client
        self.settings = settings
        self.logger = logger
        self.now = now
        self.metrics = metrics
        self.onProgress = onProgress
    }

    public func sync(_ asset: AssetCode, on connection: PostgresConnection) async -> AssetSyncOutcome {
        let started = ContinuousClock.now
        var outcome = await syncLocked(asset, on: connection)
        outcome.seconds = Self.seconds(started.duration(to: .now))
        metrics.recordPass(outcome)
        return outcome
    }

    private func syncLocked(_ asset: AssetCode, on connection: PostgresConnection) async -> AssetSyncOutcome {
        var logger = self.logger
        logger[metadataKey: "asset"] = "\(asset)"
        let startedAt = now()
        do {
            guard try await AssetLocks.tryLock(asset, on: connection) else {
                logger.info("skipping: another liqsync holds this asset's lock")
                return AssetSyncOutcome(asset: asset, status: .skippedLocked)
            }
        } catch {
            logger.error("cannot take the asset's lock", metadata: ["error": "\(error)"])
            await AssetFailure(window: nil, startedAt: startedAt, underlying: error)
                .record(asset: asset, kind: .sync, on: connection, logger: logger)
            return AssetSyncOutcome(asset: asset, status: .failed("\(error)", FailureKind(classifying: error)))
        }
        let (outcome, failure) = await syncHoldingLock(asset, on: connection, logger: logger)
        await AssetLocks.unlock(asset, on: connection)
        await failure?.record(asset: asset, kind: .sync, on: connection, logger: logger)
        return outcome
    }

    private func syncHoldingLock(_ asset: AssetCode, on connection: PostgresConnection, logger: Logger) async
        -> (AssetSyncOutcome, AssetFailure?)
    {
        var outcome = AssetSyncOutcome(asset: asset, status: .synced)
        // Read the asset under the lock: another process may have moved its watermark.
        let tracked: TrackedAsset
        do {
            guard let found = try await AssetStore(connection: connection).asset(asset), found.enabled else {
                outcome.status = .skippedNotTracked
                return (outcome, nil)
            }
            tracked = found
        } catch {
            logger.error("cannot read the asset", metadata: ["error": "\(error)"])
            outcome.status = .failed("\(error)", FailureKind(classifying: error))
            return (outcome, AssetFailure(window: nil, startedAt: now(), underlying: error))
        }
        outcome.watermark = tracked.watermark
        let nowSeconds = Int64(now().timeIntervalSince1970)
        let chunks = SyncPlanner.plan(tracked, now: nowSeconds, settings: settings)
        let guards = ChunkGuards(
            settledEnd: SyncPlanner.settledEnd(now: nowSeconds, settings: settings),
            maxVanishingHours: settings.maxVanishingHours)
        metrics.recordLag(asset: asset, watermark: tracked.watermark, now: nowSeconds)

        for window in chunks {
            if Task.isCancelled {
                outcome.status = .interrupted
                return (outcome, nil)
            }
            let startedAt = now()
            let chunkStarted = ContinuousClock.now
            do {
                let fetched = try await client.fetchWindow(asset: asset, window: window)
                outcome.requests += fetched.requests
                let chunk = ChunkWrite(
                    asset: asset, window: window, records: fetched.records, kind: .sync, pages: fetched.pages,
                    dataVersion: fetched.dataVersion, startedAt: startedAt, guards: guards)
                let result = try await IntervalWriter().write(chunk, on: connection)
                outcome.chunks += 1
                outcome.hours += window.hourCount
                outcome.rowsInserted += result.rowsInserted
                outcome.rowsUpdated += result.rowsUpdated
                outcome.rowsDeleted += result.rowsDeleted
                outcome.rowsUnchanged += result.rowsUnchanged
                outcome.watermark = result.watermark
                metrics.recordChunk(asset: asset, result: result, requests: fetched.requests)
                metrics.recordLag(asset: asset, watermark: result.watermark, now: Int64(now().timeIntervalSince1970))
                onProgress()
                logger.info(
                    "committed chunk",
                    metadata: [
                        "window": "\(window)", "records": "\(fetched.records.count)", "pages": "\(fetched.pages)",
                        "requests": "\(fetched.requests)", "inserted": "\(result.rowsInserted)",
                        "updated": "\(result.rowsUpdated)", "deleted": "\(result.rowsDeleted)",
                        "unchanged": "\(result.rowsUnchanged)", "watermark": "\(result.watermark)",
                        "duration_ms": "\(Int(Self.seconds(chunkStarted.duration(to: .now)) * 1000))",
                    ])
            } catch is CancellationError {
                outcome.status = .interrupted
                return (outcome, nil)
            } catch {
                if Task.isCancelled {
                    outcome.status = .interrupted
                    return (outcome, nil)
                }
                let message = "\(window): \(error)"
                logger.error("chunk failed; nothing of it was committed", metadata: ["window": "\(window)", "error": "\(error)"])
                outcome.status = .failed(message, FailureKind(classifying: error))
                return (outcome, AssetFailure(window: window, startedAt: startedAt, underlying: error))
            }
        }
        return (outcome, nil)
    }

    public static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
