import FoundationEssentials
import KaikoAPI
import LiquidationModel
import LiquidationStore
import Logging
import Postgres
import Synchronization

/// Checks stored hours against the source: re-fetches a range and compares it value by value
/// (not by fingerprint, so rows edited in the tables are found too). With `repair`, the asset is
/// loaded through the pipeline (`WindowPipeline`) under its claim, and each window's hours that
/// differ are rewritten through the normal write path, each change logged as a revision.
public struct Reconciler: Sendable {
    public let source: any WindowSource
    public let writer: any ChunkWriting
    public let logger: Logger
    /// The service's settings: the settle delay bounds what is compared, the guards what a
    /// repair may write.
    public let settings: LoadSettings
    /// When each chunk's read starts (the command's clock).
    public let now: @Sendable () -> Date

    public init(
        source: any WindowSource, writer: any ChunkWriting = ChunkWriter(), logger: Logger,
        settings: LoadSettings = LoadSettings(), now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.source = source
        self.writer = writer
        self.logger = logger
        self.settings = settings
        self.now = now
    }

    /// What the comparison of one asset found (and, with a repair, fixed).
    public struct Report: Sendable {
        public let asset: AssetCode
        /// The range compared: the one asked for, within what is stored; nil when none of it is.
        public var window: HourWindow?
        public var hoursCompared = 0
        public var differences: [SourceDifference] = []
        /// Hours rewritten by a repair.
        public var repairedHours = 0
        public var revisions = 0
        public var requests = 0
        /// Why the asset could not be reconciled (whatever was compared before is kept above).
        public var failure: String?
        public var failureKind: FailureKind?

        public init(asset: AssetCode) { self.asset = asset }

        mutating func fail(_ error: any Error) {
            failure = "\(error)"
            failureKind = FailureKind(classifying: error)
        }
    }

    /// Reconciles each asset in turn; one asset's failure is its report's, and the others go on.
    public func reconcile(_ assets: [AssetCode], from: UTCHour, to: UTCHour, repair: Bool, pool: ConnectionPool) async -> [Report] {
        guard repair else {
            var reports: [Report] = []
            for asset in assets { reports.append(await compare(asset, from: from, to: to, pool: pool)) }
            return reports
        }
        do {
            return try await LoadSession.with(
                pool: pool, writers: 1, prefetchChunks: settings.prefetchChunks, claimLease: settings.claimLease, logger: logger
            ) { session in
                var reports: [Report] = []
                for asset in assets { reports.append(await self.repair(asset, from: from, to: to, in: session)) }
                return reports
            }
        } catch {
            return assets.map { asset in
                var report = Report(asset: asset)
                report.fail(error)
                return report
            }
        }
    }

    /// The part of `[from, to)` that is stored and settled: hours beyond the watermark are a
    /// sync's to load.
    private func window(of asset: AssetCode, from: UTCHour, to: UTCHour, on connection: PostgresConnection) async throws
        -> HourWindow?
    {
        guard let tracked = try await AssetStore(connection: connection).asset(asset) else {
            throw StoreError.assetNotTracked(asset)
        }
        let settledEnd = SyncPlanner.settledEnd(now: Int64(now().timeIntervalSince1970), settings: settings)
        let start = max(from, tracked.syncFrom)
        let end = min(to, tracked.watermark, settledEnd)
        return start < end ? HourWindow(start: start, end: end) : nil
    }

    /// Compares without writing (and without a claim: nothing is written).
    private func compare(_ asset: AssetCode, from: UTCHour, to: UTCHour, pool: ConnectionPool) async -> Report {
        do {
            return try await pool.withConnection { connection in
                var report = Report(asset: asset)
                guard let window = try await window(of: asset, from: from, to: to, on: connection) else { return report }
                report.window = window
                for chunkWindow in window.chunks(ofAtMost: settings.maxChunkHours) {
                    try Task.checkCancellation()
                    let fetched = try await source.fetchWindow(asset: asset, window: chunkWindow)
                    report.requests += fetched.requests
                    report.hoursCompared += chunkWindow.hourCount
                    report.differences += try await SourceComparison.differences(
                        asset: asset, window: chunkWindow, records: fetched.records, on: connection)
                }
                return report
            }
        } catch {
            logger.error("cannot reconcile the asset", metadata: ["asset": "\(asset)", "error": "\(error)"])
            var report = Report(asset: asset)
            report.fail(error)
            return report
        }
    }

    /// Compares and rewrites the hours that differ, window by window, under the asset's claim
    /// (it waits for a service busy with the asset, like a backfill).
    private func repair(_ asset: AssetCode, from: UTCHour, to: UTCHour, in session: LoadSession) async -> Report {
        // The report, and the hours of the window being written that differed.
        let report = Mutex((Report(asset: asset), differing: 0))
        let pipeline = WindowPipeline(source: source, writer: writer, now: now, prefetchChunks: settings.prefetchChunks)
        let loaded = await pipeline.load(
            asset, kind: .repair, claim: .waiting(onWait: { _ in }), session: session, logger: logger,
            plan: { [settings] connection in
                guard let window = try await window(of: asset, from: from, to: to, on: connection) else { return nil }
                report.withLock { $0.0.window = window }
                var plan = LoadPlan(
                    windows: window.chunks(ofAtMost: settings.maxChunkHours),
                    guards: settings.guards(now: Int64(now().timeIntervalSince1970)))
                plan.prepare = { chunk, connection in
                    let differences = try await SourceComparison.differences(
                        asset: asset, window: chunk.window, records: chunk.records, on: connection)
                    var repair = chunk
                    repair.forcedHours = Set(differences.map(\.hour))
                    report.withLock { report in
                        report.0.differences += differences
                        report.differing = repair.forcedHours.count
                    }
                    return differences.isEmpty ? nil : repair
                }
                return plan
            }
        ) { committed in
            let repaired = report.withLock { report in
                report.0.requests += committed.fetched.requests
                report.0.hoursCompared += committed.window.hourCount
                guard let result = committed.result else { return 0 }
                report.0.repairedHours += report.differing
                report.0.revisions += result.revisions
                return report.differing
            }
            if let result = committed.result {
                logger.notice(
                    "repaired hours that differed from the source",
                    metadata: [
                        "asset": "\(asset)", "window": "\(committed.window)", "hours": "\(repaired)",
                        "revisions": "\(result.revisions)",
                    ])
            }
        }
        var final = report.withLock { $0.0 }
        if case .failed(_, let error) = loaded.end {
            logger.error("cannot reconcile the asset", metadata: ["asset": "\(asset)", "error": "\(error)"])
            final.fail(error)
        } else if case .interrupted = loaded.end {
            final.fail(CancellationError())
        }
        return final
    }
}
