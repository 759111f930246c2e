import FoundationEssentials
import KaikoAPI
import LiquidationModel
import LiquidationStore
import Logging
import Postgres

/// The one loop that loads an asset's windows, whatever drives it (sync, run, backfill,
/// reconcile --repair): claim the asset, plan under the claim, fetch the windows ahead
/// (`forEachPrefetched`), write each in one transaction with its progress and the claim's
/// check, record a failure, release. A failure stops the asset (later windows would leave a gap
/// below the watermark); what was committed stays. No connection is held while a request is in
/// flight.
public struct WindowPipeline: Sendable {
    public let source: any WindowSource
    public let writer: any ChunkWriting
    /// When each chunk's read starts: the command's clock.
    public let now: @Sendable () -> Date
    /// Chunks fetched ahead while one is written (see `LoadSettings.prefetchChunks`).
    public let prefetchChunks: Int

    public init(
        source: any WindowSource, writer: any ChunkWriting = ChunkWriter(), now: @escaping @Sendable () -> Date = Date.init,
        prefetchChunks: Int = LoadSettings.defaultPrefetchChunks
    ) {
        self.source = source
        self.writer = writer
        self.now = now
        self.prefetchChunks = prefetchChunks
    }

    /// Loads `asset` for a run of `kind`: `plan` runs under the claim on a writer connection
    /// (nil: nothing to do); `committed` hears of each window written, in order. A failure is
    /// recorded (`last_error`, a failed run) unless the run is a repair, which reports it only.
    public func load(
        _ asset: AssetCode, kind: RunKind, claim mode: ClaimMode, session: LoadSession, logger: Logger,
        plan makePlan: @Sendable (PostgresConnection) async throws -> LoadPlan?,
        committed: (CommittedWindow) -> Void = { _ in }
    ) async -> LoadOutcome {
        var outcome = LoadOutcome(asset: asset)
        var claimed = false
        let plan: LoadPlan
        do {
            guard try await session.claim(asset, mode) else {
                outcome.end = .notClaimed
                return outcome
            }
            claimed = true
            guard let planned = try await session.withWriter(makePlan) else {
                outcome.end = .notPlanned
                await session.claims.release(asset)
                return outcome
            }
            plan = planned
            outcome.watermark = planned.watermark
        } catch {
            if error is CancellationError || Task.isCancelled {
                outcome.end = .interrupted
            } else {
                logger.error("cannot \(claimed ? "plan" : "claim") the asset", metadata: ["error": "\(error)"])
                outcome.end = .failed(window: nil, error: error)
                await record(AssetFailure(window: nil, startedAt: now(), underlying: error), of: asset, kind: kind, session, logger)
            }
            if claimed { await session.claims.release(asset) }
            return outcome
        }
        let failure = await load(plan, of: asset, kind: kind, into: &outcome, session: session, logger: logger, committed: committed)
        // Recorded before the claim is released: another liqsync taking the asset meanwhile could
        // otherwise have its success overwritten by this stale error.
        if let failure { await record(failure, of: asset, kind: kind, session, logger) }
        await session.claims.release(asset)
        return outcome
    }

    /// Loads the planned windows under the claim; returns the failure to record, if any.
    private func load(
        _ plan: LoadPlan, of asset: AssetCode, kind: RunKind, into outcome: inout LoadOutcome, session: LoadSession,
        logger: Logger, committed: (CommittedWindow) -> Void
    ) async -> AssetFailure? {
        if plan.catchingUp { await session.catchingUp.acquire() }
        var failure: AssetFailure?
        let source = self.source
        await forEachPrefetched(plan.windows, ahead: prefetchChunks, budget: session.prefetch, fetch: { window in
            try await source.fetchWindow(asset: asset, window: window)
        }) { window, fetch in
            guard !Task.isCancelled else {
                outcome.end = .interrupted
                return false
            }
            let startedAt = now()
            do {
                let fetched = try fetch.get()
                let result = try await write(
                    fetched, window: window, of: asset, kind: kind, plan: plan, startedAt: startedAt, session: session)
                outcome.chunks += 1
                outcome.hours += window.hourCount
                outcome.requests += fetched.requests
                outcome.pages += fetched.pages
                if let result {
                    outcome.rows += result.rows
                    outcome.watermark = result.watermark
                }
                committed(CommittedWindow(window: window, fetched: fetched, result: result))
                return true
            } catch {
                // A fetch cancelled by shutdown committed nothing, and is no failure of the asset.
                if error is CancellationError || Task.isCancelled {
                    outcome.end = .interrupted
                    return false
                }
                logger.error("chunk failed; nothing of it was committed", metadata: ["window": "\(window)", "error": "\(error)"])
                outcome.end = .failed(window: window, error: error)
                if outcome.chunks == 0, let abandon = plan.abandon,
                   (try? await session.withWriter({ await abandon(error, $0) })) == true
                {
                    return false
                }
                failure = AssetFailure(window: window, startedAt: startedAt, underlying: error)
                return false
            }
        }
        if plan.catchingUp { await session.catchingUp.release() }
        return failure
    }

    /// One fetched window: prepared, and written in one transaction with the plan's progress,
    /// committing only if the claim still holds.
    private func write(
        _ fetched: FetchedWindow, window: HourWindow, of asset: AssetCode, kind: RunKind, plan: LoadPlan, startedAt: Date,
        session: LoadSession
    ) async throws -> ChunkWriteResult? {
        var chunk = ChunkWrite(
            asset: asset, window: window, records: fetched.records, kind: kind, pages: fetched.pages,
            dataVersion: fetched.dataVersion, startedAt: startedAt, guards: plan.guards)
        chunk.lookbackHours = plan.lookbackHours
        let claims = session.claims
        let progress = plan.progress
        return try await session.withWriter { [writer, chunk, prepare = plan.prepare] connection in
            var prepared: ChunkWrite? = chunk
            if let prepare { prepared = try await prepare(chunk, connection) }
            guard let prepared else { return nil }
            return try await writer.write(prepared, on: connection) { connection in
                try progress?(window, connection)
                try claims.verify(asset, on: connection)
            }
        }
    }

    /// Records a failure on a writer connection (`AssetFailure.record` resets one the failure
    /// broke), writing the asset's state only where the claim allows (`mayRecordFailure`). A
    /// repair's failure is only reported.
    private func record(_ failure: AssetFailure, of asset: AssetCode, kind: RunKind, _ session: LoadSession, _ logger: Logger) async {
        guard kind != .repair else { return }
        do {
            try await session.withWriter { [claims = session.claims] connection in
                await failure.record(asset: asset, kind: kind, claims: claims, on: connection, logger: logger)
            }
        } catch {
            logger.error("cannot record the failure: no database connection", metadata: ["error": "\(error)"])
        }
    }
}
