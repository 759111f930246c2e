import FoundationEssentials
import KaikoAPI
import LiquidationModel
import LiquidationStore
import Logging
import Postgres

/// Keeps one asset current: takes its lock (on the pass's lock session), plans the windows, and
/// for each chunk fetches, validates and writes in one transaction on a writer connection. A
/// failure stops the asset (later chunks would leave a gap below the watermark), records
/// `last_error` once the lock is released, and leaves the watermark where the last committed
/// chunk put it. No connection is held while a request is in flight.
public struct AssetSyncer: Sendable {
    public let source: any WindowSource
    public let writer: any ChunkWriting
    public let settings: SyncSettings
    public let logger: Logger
    public let now: @Sendable () -> Date
    public let metrics: SyncMetrics
    /// Called after each committed chunk (the watchdog's sign of life).
    public let onProgress: @Sendable () -> Void

    public init(
        source: any WindowSource, writer: any ChunkWriting = IntervalWriter(), settings: SyncSettings, logger: Logger,
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

    public func sync(_ asset: AssetCode, using connections: PassConnections) async -> AssetSyncOutcome {
        let started = ContinuousClock.now
        var outcome = await syncLocked(asset, using: connections)
        outcome.seconds = started.duration(to: .now).inSeconds
        metrics.recordPass(outcome)
        return outcome
    }

    private func syncLocked(_ asset: AssetCode, using connections: PassConnections) async -> AssetSyncOutcome {
        var logger = self.logger
        logger[metadataKey: "asset"] = "\(asset)"
        let startedAt = now()
        do {
            guard try await AssetLocks.tryLock(asset, on: connections.locks) else {
                logger.info("skipping: another liqsync holds this asset's lock")
                return AssetSyncOutcome(asset: asset, status: .skippedLocked)
            }
        } catch {
            logger.error("cannot take the asset's lock", metadata: ["error": "\(error)"])
            await record(AssetFailure(window: nil, startedAt: startedAt, underlying: error), of: asset, using: connections, logger: logger)
            return AssetSyncOutcome(asset: asset, status: .failed("\(error)", FailureKind(classifying: error)))
        }
        var outcome = AssetSyncOutcome(asset: asset, status: .synced)
        let failure = await syncHoldingLock(into: &outcome, using: connections, logger: logger)
        // Recorded before the lock is released: another liqsync taking the asset meanwhile could
        // otherwise have its success overwritten by this stale error.
        if let failure { await record(failure, of: asset, using: connections, logger: logger) }
        await AssetLocks.unlock(asset, on: connections.locks)
        return outcome
    }

    /// Records a failure on a writer connection: the lock session is shared by the whole pass,
    /// and recording may reset the connection it uses. The asset's `last_error` is written only
    /// while the pass still holds its lock, or nobody does (see `AssetFailure.record`).
    private func record(_ failure: AssetFailure, of asset: AssetCode, using connections: PassConnections, logger: Logger) async {
        do {
            try await connections.withWriter { [lockSession = connections.lockSession] connection in
                await failure.record(asset: asset, kind: .sync, claimedBy: lockSession, on: connection, logger: logger)
            }
        } catch {
            logger.error("cannot record the failure: no database connection", metadata: ["error": "\(error)"])
        }
    }

    /// Syncs the chunks the planner gives, in order, until one fails; returns that failure.
    private func syncHoldingLock(
        into outcome: inout AssetSyncOutcome, using connections: PassConnections, logger: Logger
    ) async -> AssetFailure? {
        let asset = outcome.asset
        // Read the asset under the lock: another process may have moved its watermark.
        let tracked: TrackedAsset
        do {
            guard let found = try await AssetStore(connection: connections.locks).asset(asset), found.enabled else {
                outcome.status = .skippedNotTracked
                return nil
            }
            tracked = found
        } catch {
            logger.error("cannot read the asset", metadata: ["error": "\(error)"])
            outcome.status = .failed("\(error)", FailureKind(classifying: error))
            return AssetFailure(window: nil, startedAt: now(), underlying: error)
        }
        outcome.watermark = tracked.watermark
        let nowSeconds = Int64(now().timeIntervalSince1970)
        metrics.recordLag(asset: asset, watermark: tracked.watermark, now: nowSeconds)
        let guards = settings.guards(now: nowSeconds)
        let openHours: [OpenHour]
        do {
            openHours = tracked.openHours > 0 ? try await AssetStore(connection: connections.locks).openHours(of: asset) : []
        } catch {
            logger.error("cannot read the asset's open hours", metadata: ["error": "\(error)"])
            outcome.status = .failed("\(error)", FailureKind(classifying: error))
            return AssetFailure(window: nil, startedAt: now(), underlying: error)
        }
        let plan = SyncPlanner.plan(tracked, openHours: openHours, now: nowSeconds, settings: settings)
        // An asset catching up holds a long chunk, and those fetched ahead on the pass's shared
        // budget: as many such assets at once as there are writers, as when each held a
        // connection. One new hour or a few (the steady state) is small, and as many assets as
        // `requestsInFlight` may wait for it.
        let catchingUp = plan.count > 1 || (plan.first?.hourCount ?? 0) > SyncSettings.catchingUpAboveHours
        if catchingUp { await connections.catchingUp.acquire() }
        // The next chunks are fetched while one is written; they are committed in order.
        var failure: AssetFailure?
        let source = self.source
        await forEachPrefetched(plan, ahead: settings.prefetchChunks, budget: connections.prefetch, fetch: { window in
            try await source.fetchWindow(asset: asset, window: window)
        }) { window, fetch in
            guard !Task.isCancelled else {
                outcome.status = .interrupted
                return false
            }
            let startedAt = now()
            do {
                let fetched = try fetch.get()
                let result = try await connections.withWriter { [lockSession = connections.lockSession] connection in
                    try await writeChunk(
                        fetched, window: window, of: asset, guards: guards, startedAt: startedAt, lockSession: lockSession,
                        on: connection, logger: logger)
                }
                outcome.chunks += 1
                outcome.hours += window.hourCount
                outcome.requests += fetched.requests
                outcome.rows += result.rows
                outcome.watermark = result.watermark
                return true
            } catch {
                // A fetch cancelled by shutdown committed nothing, and is no failure of the asset.
                if error is CancellationError || Task.isCancelled {
                    outcome.status = .interrupted
                    return false
                }
                logger.error("chunk failed; nothing of it was committed", metadata: ["window": "\(window)", "error": "\(error)"])
                outcome.status = .failed("\(window): \(error)", FailureKind(classifying: error))
                failure = AssetFailure(window: window, startedAt: startedAt, underlying: error)
                return false
            }
        }
        if catchingUp { await connections.catchingUp.release() }
        return failure
    }

    /// One fetched chunk: validated and written in one transaction with the watermark, which
    /// commits only if the pass's lock session still holds the asset's lock.
    private func writeChunk(
        _ fetched: FetchedWindow, window: HourWindow, of asset: AssetCode, guards: ChunkGuards, startedAt: Date,
        lockSession: Int32, on connection: PostgresConnection, logger: Logger
    ) async throws -> ChunkWriteResult {
        let chunkStarted = ContinuousClock.now
        var chunk = ChunkWrite(
            asset: asset, window: window, records: fetched.records, kind: .sync, pages: fetched.pages,
            dataVersion: fetched.dataVersion, startedAt: startedAt, guards: guards)
        chunk.lookbackHours = settings.lookbackHours
        let result = try await writer.write(chunk, on: connection) { connection in
            try AssetLocks.verifyHeld(asset, bySession: lockSession, on: connection)
        }
        metrics.recordChunk(asset: asset, result: result, requests: fetched.requests)
        metrics.recordLag(asset: asset, watermark: result.watermark, now: Int64(now().timeIntervalSince1970))
        onProgress()
        logger.info(
            "committed chunk",
            metadata: [
                "window": "\(window)", "records": "\(fetched.records.count)", "pages": "\(fetched.pages)",
                "requests": "\(fetched.requests)", "inserted": "\(result.rows.inserted)",
                "updated": "\(result.rows.updated)", "deleted": "\(result.rows.deleted)",
                "unchanged": "\(result.rows.unchanged)", "revisions": "\(result.revisions)", "watermark": "\(result.watermark)",
                "hours_emptied": "\(result.hoursEmptied)", "open_hours_confirmed": "\(result.openHoursConfirmed)",
                "open_hours_restored": "\(result.openHoursRestored)",
                "write_ms": "\(chunkStarted.duration(to: .now).wholeMilliseconds)",
            ])
        return result
    }
}
