import FoundationEssentials
import KaikoAPI
import LiquidationModel
import LiquidationStore
import Logging
import Postgres

/// Checks stored hours against the source: re-fetches a range and compares it value by value
/// (not by fingerprint, so rows edited in the tables are found too). With `repair`, rewrites the
/// hours that differ through the normal write path, under the asset's lock, each change logged
/// as a revision.
public struct Reconciler: Sendable {
    public let source: any WindowSource
    public let writer: any ChunkWriting
    public let logger: Logger
    /// The service's settings: the settle delay bounds what is compared, the guards what a
    /// repair may write.
    public let settings: SyncSettings
    /// When each chunk's read starts (the command's clock).
    public let now: @Sendable () -> Date

    public init(
        source: any WindowSource, writer: any ChunkWriting = IntervalWriter(), logger: Logger,
        settings: SyncSettings = SyncSettings(), now: @escaping @Sendable () -> Date = Date.init
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
    }

    /// Reconciles each asset in turn; one asset's failure is its report's, and the others go on.
    public func reconcile(
        _ assets: [AssetCode], from: UTCHour, to: UTCHour, repair: Bool, pool: ConnectionPool
    ) async -> [Report] {
        var reports: [Report] = []
        for asset in assets {
            do {
                reports.append(try await pool.withConnection { connection in
                    try await reconcile(asset, from: from, to: to, repair: repair, on: connection)
                })
            } catch {
                logger.error("cannot reconcile the asset", metadata: ["asset": "\(asset)", "error": "\(error)"])
                var report = Report(asset: asset)
                report.failure = "\(error)"
                report.failureKind = FailureKind(classifying: error)
                reports.append(report)
            }
        }
        return reports
    }

    /// Compares `[from, to)` of `asset` with the source: only the stored part of it (hours
    /// beyond the watermark are a sync's to load), and only settled hours.
    public func reconcile(
        _ asset: AssetCode, from: UTCHour, to: UTCHour, repair: Bool, on connection: PostgresConnection
    ) async throws -> Report {
        guard let tracked = try await AssetStore(connection: connection).asset(asset) else {
            throw StoreError.assetNotTracked(asset)
        }
        var report = Report(asset: asset)
        let settledEnd = SyncPlanner.settledEnd(now: Int64(now().timeIntervalSince1970), settings: settings)
        let start = max(from, tracked.syncFrom)
        let end = min(to, tracked.watermark, settledEnd)
        guard start < end else { return report }
        let window = HourWindow(start: start, end: end)
        report.window = window
        if repair {
            // A repair writes: it waits for a service busy with the asset, like a backfill.
            try await AssetLocks.lock(asset, on: connection)
            do {
                try await compare(window, into: &report, repair: true, on: connection)
                await AssetLocks.unlock(asset, on: connection)
            } catch {
                await AssetLocks.unlock(asset, on: connection)
                throw error
            }
        } else {
            try await compare(window, into: &report, repair: false, on: connection)
        }
        return report
    }

    private func compare(
        _ window: HourWindow, into report: inout Report, repair: Bool, on connection: PostgresConnection
    ) async throws {
        let asset = report.asset
        for chunkWindow in window.chunks(ofAtMost: settings.maxChunkHours) {
            try Task.checkCancellation()
            let startedAt = now()
            let fetched = try await source.fetchWindow(asset: asset, window: chunkWindow)
            report.requests += fetched.requests
            report.hoursCompared += chunkWindow.hourCount
            let differences = try await SourceComparison.differences(
                asset: asset, window: chunkWindow, records: fetched.records, on: connection)
            report.differences += differences
            guard repair, !differences.isEmpty else { continue }
            var chunk = ChunkWrite(
                asset: asset, window: chunkWindow, records: fetched.records, kind: .repair, pages: fetched.pages,
                dataVersion: fetched.dataVersion, startedAt: startedAt,
                guards: settings.guards(now: Int64(startedAt.timeIntervalSince1970)))
            chunk.forcedHours = Set(differences.map(\.hour))
            let result = try await writer.write(chunk, on: connection, alsoInTransaction: nil)
            report.repairedHours += chunk.forcedHours.count
            report.revisions += result.revisions
            logger.notice(
                "repaired hours that differed from the source",
                metadata: [
                    "asset": "\(asset)", "window": "\(chunkWindow)", "hours": "\(chunk.forcedHours.count)",
                    "revisions": "\(result.revisions)",
                ])
        }
    }
}
