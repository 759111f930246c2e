extension LoadOutcome {
    /// A sync's line for the asset: `btc: 2 chunks, 1024 hours, 35 rows written (12 new, 23
    /// changed, 0 deleted, 0 unchanged), watermark 2025-04-04T11:00:00Z`.
    public var syncSummary: String {
        switch end {
        case .completed where chunks == 0:
            return "\(asset): up to date" + (watermark.map { ", watermark \($0)" } ?? "")
        case .completed:
            return "\(asset): \(chunks) chunk\(chunks == 1 ? "" : "s"), \(hours) hours, "
                + "\(rows.written) rows written (\(rows.inserted) new, \(rows.updated) changed, "
                + "\(rows.deleted) deleted, \(rows.unchanged) unchanged)" + (watermark.map { ", watermark \($0)" } ?? "")
        case .notClaimed:
            return "\(asset): skipped, another liqsync is syncing it"
        case .notPlanned:
            return "\(asset): skipped, not tracked or disabled"
        case .failed:
            return "\(asset): FAILED: \(failureText ?? "")"
        case .interrupted:
            return "\(asset): interrupted by shutdown after \(chunks) chunk\(chunks == 1 ? "" : "s")"
        }
    }
}
