import LiquidationModel
import LiquidationStore

/// How one asset's sync went, for the one-line summary, the exit code and the metrics.
public struct AssetSyncOutcome: Sendable {
    public enum Status: Sendable, Equatable {
        /// Every planned chunk was committed (possibly none: already current).
        case synced
        /// Another process holds the asset's lock; it is that process's job right now.
        case skippedLocked
        /// The asset is not tracked or is disabled.
        case skippedNotTracked
        /// A chunk failed; earlier chunks of this pass stay committed.
        case failed(String, FailureKind)
        /// Shutdown began before the asset was done; what was committed stays.
        case interrupted
    }

    public let asset: AssetCode
    public var status: Status
    public var chunks = 0
    public var hours = 0
    public var requests = 0
    public var rows = RowCounts()
    public var watermark: UTCHour?
    public var seconds: Double = 0

    public init(asset: AssetCode, status: Status) {
        self.asset = asset
        self.status = status
    }

    /// The pipeline's outcome, in a sync's terms.
    init(_ loaded: LoadOutcome) {
        switch loaded.end {
        case .completed: status = .synced
        case .notClaimed: status = .skippedLocked
        case .notPlanned: status = .skippedNotTracked
        case .interrupted: status = .interrupted
        case .failed(let window, let error):
            status = .failed(window.map { "\($0): \(error)" } ?? "\(error)", FailureKind(classifying: error))
        }
        asset = loaded.asset
        chunks = loaded.chunks
        hours = loaded.hours
        requests = loaded.requests
        rows = loaded.rows
        watermark = loaded.watermark
    }

    public var failed: Bool { failureKind != nil }

    public var failureKind: FailureKind? {
        if case .failed(_, let kind) = status { return kind }
        return nil
    }

    /// `btc: 2 chunks, 1024 hours, 35 rows written (12 new, 23 changed, 0 deleted), watermark 2025-04-04T11:00:00Z`.
    public var summary: String {
        switch status {
        case .synced where chunks == 0:
            return "\(asset): up to date" + (watermark.map { ", watermark \($0)" } ?? "")
        case .synced:
            return "\(asset): \(chunks) chunk\(chunks == 1 ? "" : "s"), \(hours) hours, "
                + "\(rows.written) rows written (\(rows.inserted) new, \(rows.updated) changed, "
                + "\(rows.deleted) deleted, \(rows.unchanged) unchanged)" + (watermark.map { ", watermark \($0)" } ?? "")
        case .skippedLocked:
            return "\(asset): skipped, another liqsync is syncing it"
        case .skippedNotTracked:
            return "\(asset): skipped, not tracked or disabled"
        case .failed(let message, _):
            return "\(asset): FAILED: \(message)"
        case .interrupted:
            return "\(asset): interrupted by shutdown after \(chunks) chunk\(chunks == 1 ? "" : "s")"
        }
    }
}
