import FoundationEssentials
import KaikoAPI
import LiquidationModel
import LiquidationStore
import Logging
import Postgres

/// Checks stored hours against the source: re-fetches a range and compares it value by value
/// (not by fingerprint, so rows edited in the tables are found too). With `repair`, the asset is
/// loaded through the pipeline (`WindowPipeline`, driven by `RepairLoad`) under its claim.
public struct Reconciler: Sendable {
    /// Where windows come from and go, the settings (the settle delay bounds what is compared,
    /// the guards what a repair may write), the logger and the clock.
    public let pipeline: WindowPipeline

    public init(pipeline: WindowPipeline) {
        self.pipeline = pipeline
    }

    var settings: LoadSettings { pipeline.settings }
    var logger: Logger { pipeline.logger }

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
        public var error: (any Error)?

        public init(asset: AssetCode) { self.asset = asset }

        public var failure: String? { error.map { "\($0)" } }
        public var failureKind: FailureKind? { error.map(FailureKind.init(classifying:)) }
    }

    /// Reconciles each asset in turn; one asset's failure is its report's, and the others go on.
    public func reconcile(_ assets: [AssetCode], from: UTCHour, to: UTCHour, repair: Bool, pool: ConnectionPool) async -> [Report] {
        guard repair else {
            var reports: [Report] = []
            for asset in assets { reports.append(await compare(asset, from: from, to: to, pool: pool)) }
            return reports
        }
        do {
            return try await pipeline.withSession(pool: pool, writers: 1) { [pipeline] session in
                var reports: [Report] = []
                for asset in assets {
                    reports.append(await pipeline.load(RepairLoad(asset: asset, from: from, to: to, reconciler: self), in: session))
                }
                return reports
            }
        } catch {
            return assets.map { asset in
                var report = Report(asset: asset)
                report.error = error
                return report
            }
        }
    }

    /// The part of `[from, to)` that is stored and settled: hours beyond the watermark are a
    /// sync's to load.
    func window(of asset: AssetCode, from: UTCHour, to: UTCHour, on connection: PostgresConnection) async throws
        -> HourWindow?
    {
        guard let tracked = try await AssetStore(connection: connection).asset(asset) else {
            throw StoreError.assetNotTracked(asset)
        }
        let settledEnd = SyncPlanner.settledEnd(now: Int64(pipeline.now().timeIntervalSince1970), settings: settings)
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
                    let fetched = try await pipeline.source.fetchWindow(asset: asset, window: chunkWindow)
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
            report.error = error
            return report
        }
    }
}

/// A repair of one asset: under its claim (waiting for a service busy with it, like a backfill),
/// each window is compared with what is stored and only the hours that differ are rewritten,
/// through the normal write path, each change logged as a revision. Its failures are reported,
/// not recorded.
struct RepairLoad: LoadDriver {
    let asset: AssetCode
    let from: UTCHour
    let to: UTCHour
    let reconciler: Reconciler

    var kind: RunKind { .repair }
    var claimMode: ClaimMode { .waiting(onWait: { _ in }) }

    /// The windows of the stored, settled part of the range; the context is that range.
    func plan(on connection: PostgresConnection) async throws -> LoadPlan<HourWindow>? {
        guard let window = try await reconciler.window(of: asset, from: from, to: to, on: connection) else { return nil }
        let settings = reconciler.settings
        return LoadPlan(
            windows: window.chunks(ofAtMost: settings.maxChunkHours),
            guards: settings.guards(now: Int64(reconciler.pipeline.now().timeIntervalSince1970)), context: window)
    }

    /// Only the hours that differ from what is stored are written (forced: a fingerprint cannot
    /// see rows edited in the tables); a window that equals the source writes nothing.
    func prepare(_ chunk: ChunkWrite, context: HourWindow, on connection: PostgresConnection) async throws
        -> (write: ChunkWrite?, finding: [SourceDifference])
    {
        let differences = try await SourceComparison.differences(
            asset: asset, window: chunk.window, records: chunk.records, on: connection)
        var repair = chunk
        repair.forcedHours = Set(differences.map(\.hour))
        return (differences.isEmpty ? nil : repair, differences)
    }

    func makeReport() -> Reconciler.Report { Reconciler.Report(asset: asset) }

    func planned(_ plan: LoadPlan<HourWindow>, into report: inout Reconciler.Report) {
        report.window = plan.context
    }

    func committed(_ committed: CommittedWindow<[SourceDifference]>, into report: inout Reconciler.Report) {
        report.requests += committed.fetched.requests
        report.hoursCompared += committed.window.hourCount
        report.differences += committed.finding
        guard let result = committed.result else { return }
        let hours = Set(committed.finding.map(\.hour)).count
        report.repairedHours += hours
        report.revisions += result.revisions
        reconciler.logger.notice(
            "repaired hours that differed from the source",
            metadata: [
                "asset": "\(asset)", "window": "\(committed.window)", "hours": "\(hours)", "revisions": "\(result.revisions)",
            ])
    }

    func finished(_ outcome: LoadOutcome, into report: inout Reconciler.Report) {
        if let failure = outcome.failure {
            reconciler.logger.error("cannot reconcile the asset", metadata: ["asset": "\(asset)", "error": "\(failure)"])
            report.error = failure
        } else if outcome.interrupted {
            report.error = CancellationError()
        }
    }
}
