import FoundationEssentials
import KaikoAPI
import LiquidationModel
import LiquidationStore
import Logging
import Postgres

/// Loads history for one asset through the same fetch → validate → write path as sync, one
/// chunk per transaction, with the job's progress committed in the same transaction.
public struct BackfillRunner: Sendable {
    public let source: any WindowSource
    public let writer: any ChunkWriting
    public let logger: Logger
    public let progress: BackfillProgress
    public let maxChunkHours: Int
    /// Stored hours with liquidations one chunk may empty, and which share of them (see `ChunkGuards`).
    public let maxVanishingHours: Int
    public let maxVanishingShare: Double
    /// When each chunk's read starts (the command's clock).
    public let now: @Sendable () -> Date
    /// Chunks fetched while an earlier one is being written (see `SyncSettings.prefetchChunks`),
    /// shared by the assets this runner loads at once.
    public let prefetchChunks: Int
    let prefetchBudget: PrefetchBudget

    public init(
        source: any WindowSource, writer: any ChunkWriting = IntervalWriter(), logger: Logger, progress: BackfillProgress,
        maxChunkHours: Int = 1000, maxVanishingHours: Int = ChunkGuards.defaultMaxVanishingHours,
        maxVanishingShare: Double = ChunkGuards.defaultMaxVanishingShare,
        prefetchChunks: Int = SyncSettings.defaultPrefetchChunks, now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.maxVanishingShare = maxVanishingShare
        self.now = now
        self.prefetchChunks = prefetchChunks
        self.prefetchBudget = PrefetchBudget(chunks: prefetchChunks)
        self.source = source
        self.writer = writer
        self.logger = logger
        self.progress = progress
        self.maxChunkHours = maxChunkHours
        self.maxVanishingHours = maxVanishingHours
    }

    /// What a backfill would do, without touching anything.
    public struct Plan: Sendable {
        public let asset: AssetCode
        public let range: HourWindow
        /// Where it resumes (the range's start unless a previous run got further).
        public let resumeFrom: UTCHour
        public let chunks: [HourWindow]
        public let tracksNewAsset: Bool
        /// The end of the settled hours when the plan was made; no chunk reaches past it.
        public let settledEnd: UTCHour
        /// An earlier run of the same backfill completed: nothing to do without `--restart`.
        public var alreadyLoaded = false

        public var description: String {
            if alreadyLoaded { return "\(asset): \(range) already loaded by an earlier backfill (--restart loads it again)" }
            let hours = chunks.reduce(0) { $0 + $1.hourCount }
            var text = "\(asset): \(range), \(hours) hours in \(chunks.count) chunk\(chunks.count == 1 ? "" : "s") "
                + "(about \(chunks.count) request\(chunks.count == 1 ? "" : "s"))"
            if resumeFrom > range.start { text += ", resuming at \(resumeFrom)" }
            if tracksNewAsset { text += ", starts tracking it from \(range.start)" }
            return text
        }
    }

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

    /// The range to load: `[from, to)`, `to` defaulting to the asset's watermark (or, for an
    /// asset not tracked yet, the end of the settled hours). A `to` past `settledEnd` is refused:
    /// hours that have not ended (and settled) have no data yet, and storing them as zeros would
    /// move the watermark into the future.
    public func plan(
        asset: AssetCode, from: UTCHour, to: UTCHour?, restart: Bool, settledEnd: UTCHour,
        on connection: PostgresConnection
    ) async throws -> Plan {
        if let to, to > settledEnd {
            throw BackfillError.pastSettledHours(asset: asset, to: to, settledEnd: settledEnd)
        }
        let tracked = try await AssetStore(connection: connection).asset(asset)
        let jobs = tracked == nil ? [] : try await BackfillJobs.all(asset: asset, on: connection)
        // Without --to: the watermark (the last settled hour for an asset not tracked yet), or
        // where an interrupted run of the same command was headed. A watermark set by a service
        // with a shorter settle delay may be a little ahead.
        let end = to ?? min(
            max(tracked?.watermark ?? settledEnd, BackfillJobs.interruptedEnd(from: from, jobs: jobs) ?? from), settledEnd)
        guard from < end else {
            throw BackfillError.emptyRange(asset: asset, from: from, to: end)
        }
        let range = HourWindow(start: from, end: end)
        // A job is identified by its whole range: what earlier backfills committed from `from` on
        // is not loaded again, and the rest of this range is.
        let resumeFrom = restart ? from : BackfillJobs.resumePoint(of: range, after: jobs)
        if resumeFrom >= end {
            var plan = Plan(
                asset: asset, range: range, resumeFrom: end, chunks: [], tracksNewAsset: false, settledEnd: settledEnd)
            plan.alreadyLoaded = true
            return plan
        }
        let remaining = HourWindow(start: resumeFrom, end: end)
        return Plan(
            asset: asset, range: range, resumeFrom: resumeFrom, chunks: remaining.chunks(ofAtMost: maxChunkHours),
            tracksNewAsset: tracked == nil, settledEnd: settledEnd)
    }

    /// Runs the plan: waits for the asset's lock (a running service finishes its chunk first),
    /// then loads each remaining chunk.
    public func run(_ plan: Plan, restart: Bool, on connection: PostgresConnection) async throws -> Outcome {
        var logger = self.logger
        logger[metadataKey: "asset"] = "\(plan.asset)"
        let started = ContinuousClock.now
        if plan.alreadyLoaded {
            var outcome = Outcome(asset: plan.asset)
            outcome.alreadyLoaded = true
            return outcome
        }
        if try await !AssetLocks.tryLock(plan.asset, on: connection) {
            logger.notice("waiting: another liqsync (the service?) is writing this asset")
            progress.note(plan.asset, "waiting for another liqsync")
            try await AssetLocks.lock(plan.asset, on: connection)
            progress.note(plan.asset, nil)
        }
        do {
            let outcome = try await runLocked(plan, restart: restart, on: connection, logger: logger, started: started)
            await AssetLocks.unlock(plan.asset, on: connection)
            return outcome
        } catch let failure as AssetFailure {
            // Recorded before the lock is released, so it cannot overwrite a later run's success.
            await failure.record(asset: plan.asset, kind: .backfill, on: connection, logger: logger)
            await AssetLocks.unlock(plan.asset, on: connection)
            throw failure.underlying
        } catch {
            await AssetLocks.unlock(plan.asset, on: connection)
            throw error
        }
    }

    private func runLocked(_ plan: Plan, restart: Bool, on connection: PostgresConnection, logger: Logger,
                           started: ContinuousClock.Instant) async throws -> Outcome
    {
        let (job, createdAsset) = try await BackfillJobs.startOrResume(
            asset: plan.asset, range: plan.range, resumeFrom: plan.resumeFrom, restart: restart, tracking: plan.tracksNewAsset,
            on: connection)
        progress.begin(plan.asset, totalHours: plan.range.hourCount, alreadyDone: plan.range.start.distance(to: job.doneUntil))
        var outcome = Outcome(asset: plan.asset)
        // The next chunks are fetched while one is written; they are committed in order, so the
        // job's progress stays contiguous. The first error ends the loop and is thrown below.
        var stop: (any Error)?
        let source = self.source
        await forEachPrefetched(
            job.remaining.chunks(ofAtMost: maxChunkHours), ahead: prefetchChunks, budget: prefetchBudget,
            fetch: { window in try await source.fetchWindow(asset: plan.asset, window: window) }
        ) { window, fetch in
            if Task.isCancelled {
                stop = CancellationError()
                return false
            }
            let startedAt = now()
            do {
                let fetched = try fetch.get()
                let result = try await writeChunk(fetched, window: window, of: plan, job: job, startedAt: startedAt, on: connection)
                outcome.chunks += 1
                outcome.hours += window.hourCount
                outcome.requests += fetched.requests
                outcome.pages += fetched.pages
                outcome.rows += result.rows
                progress.advance(plan.asset, hours: window.hourCount, rows: result.rows.written, requests: fetched.requests)
                logger.info(
                    "committed backfill chunk",
                    metadata: [
                        "window": "\(window)", "records": "\(fetched.records.count)", "inserted": "\(result.rows.inserted)",
                        "updated": "\(result.rows.updated)", "unchanged": "\(result.rows.unchanged)",
                    ])
                return true
            } catch is CancellationError {
                stop = CancellationError()
                return false
            } catch {
                if createdAsset, outcome.chunks == 0, Self.meansUnknownAsset(error) {
                    // Do not leave behind an asset the API does not know.
                    _ = try? await AssetStore(connection: connection).remove(plan.asset, purge: true)
                    stop = error
                } else {
                    stop = AssetFailure(window: window, startedAt: startedAt, underlying: error)
                }
                return false
            }
        }
        if let stop { throw stop }
        progress.finish(plan.asset)
        outcome.seconds = started.duration(to: .now).inSeconds
        return outcome
    }

    /// One fetched chunk: validated and written in one transaction with the job's progress.
    private func writeChunk(
        _ fetched: FetchedWindow, window: HourWindow, of plan: Plan, job: BackfillJob, startedAt: Date,
        on connection: PostgresConnection
    ) async throws -> ChunkWriteResult {
        let chunk = ChunkWrite(
            asset: plan.asset, window: window, records: fetched.records, kind: .backfill, pages: fetched.pages,
            dataVersion: fetched.dataVersion, startedAt: startedAt,
            guards: ChunkGuards(
                settledEnd: plan.settledEnd, maxVanishingHours: maxVanishingHours, maxVanishingShare: maxVanishingShare))
        let result = try await writer.write(chunk, on: connection) { connection in
            try BackfillJobs.recordProgress(job, doneUntil: window.end, connection: connection)
        }
        return result
    }
}

extension BackfillRunner {
    /// A 404, or a first load that brought nothing at all: how an unknown asset code is answered.
    static func meansUnknownAsset(_ error: any Error) -> Bool {
        switch error {
        case KaikoError.unknownAsset: return true
        case StoreError.emptyFirstLoad: return true
        default: return false
        }
    }
}

public enum BackfillError: Error, Sendable, CustomStringConvertible {
    case emptyRange(asset: AssetCode, from: UTCHour, to: UTCHour)
    /// `--to` reaches past the hours that have ended and settled.
    case pastSettledHours(asset: AssetCode, to: UTCHour, settledEnd: UTCHour)

    public var description: String {
        switch self {
        case .emptyRange(let asset, let from, let to):
            return "nothing to backfill for \(asset): --from \(from) is not before \(to) (the end of the range)"
        case .pastSettledHours(let asset, let to, let settledEnd):
            return "cannot backfill \(asset) up to \(to): hours from \(settledEnd) on have not ended and settled yet; "
                + "give an earlier --to, or none to load up to the watermark (or the last settled hour)"
        }
    }
}
