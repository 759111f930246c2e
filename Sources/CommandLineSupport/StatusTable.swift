import FoundationEssentials
import LiquidationModel
import LiquidationStore

/// `liqsync status` as a table for a terminal (the demo shows the same).
public enum StatusTable {
    public static func render(_ statuses: [AssetStatus]) -> String {
        var table = TextTable(
            headers: ["ASSET", "ENABLED", "SYNC FROM", "WATERMARK", "LAG", "HOURS", "REV 24H", "OPEN", "LAST RUN", "LAST ERROR"])
        for status in statuses {
            let asset = status.asset
            let lastRun = status.lastRunFinishedAt.map {
                "\(status.lastRunStatus ?? "?") \(UTCTimestamp.format($0))"
            } ?? "never"
            table.rows.append([
                asset.asset.rawValue, asset.enabled ? "yes" : "no", asset.syncFrom.description, asset.watermark.description,
                Self.duration(status.lagSeconds), String(asset.storedHours), String(status.revisionsLastDay),
                String(asset.openHours), lastRun,
                asset.lastError.map { String(OneLine.fold($0).prefix(80)) } ?? "",
            ])
        }
        return table.render()
    }

    /// `3d 4h`, `2h 10m`, `45s`.
    public static func duration(_ seconds: Int64) -> String {
        let days = seconds / 86_400
        let hours = seconds % 86_400 / 3600
        let minutes = seconds % 3600 / 60
        if days > 0 { return "\(days)d \(hours)h" }
        if hours > 0 { return "\(hours)h \(minutes)m" }
        if minutes > 0 { return "\(minutes)m" }
        return "\(seconds)s"
    }
}
