import ArgumentParser
import Foundation
import LiquidationStore

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show each asset's watermark, lag, last run and last error.")

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Print JSON (stable keys, for scripts and monitoring).")
    var json = false

    func run() async throws {
        let statuses = try await global.withConnection(logger: global.makeLogger()) { connection in
            try await AssetStore(connection: connection).status()
        }
        if json {
            Console.print(try StatusJSON.render(statuses))
            return
        }
        guard !statuses.isEmpty else {
            Console.print("No assets are tracked. Add some with 'liqsync assets add btc eth'.")
            return
        }
        Console.print(Self.table(statuses))
    }

    static func table(_ statuses: [AssetStatus]) -> String {
        var table = TextTable(headers: ["ASSET", "ENABLED", "SYNC FROM", "WATERMARK", "LAG", "HOURS", "LAST RUN", "LAST ERROR"])
        for status in statuses {
            let asset = status.asset
            let lastRun = status.lastRunFinishedAt.map {
                "\(status.lastRunStatus ?? "?") \(ISO8601DateFormatter().string(from: $0))"
            } ?? "never"
            table.rows.append([
                asset.asset.rawValue, asset.enabled ? "yes" : "no", asset.syncFrom.description, asset.watermark.description,
                Self.duration(status.lagSeconds), String(asset.storedHours), lastRun,
                asset.lastError.map { String($0.prefix(80)) } ?? "",
            ])
        }
        return table.render()
    }

    /// `3d 4h`, `2h 10m`, `45s`.
    static func duration(_ seconds: Int64) -> String {
        let days = seconds / 86_400
        let hours = seconds % 86_400 / 3600
        let minutes = seconds % 3600 / 60
        if days > 0 { return "\(days)d \(hours)h" }
        if hours > 0 { return "\(hours)h \(minutes)m" }
        if minutes > 0 { return "\(minutes)m" }
        return "\(seconds)s"
    }
}

/// `status --json`: an array of objects; every key always present, null when empty.
enum StatusJSON {
    static func render(_ statuses: [AssetStatus]) throws -> String {
        let formatter = ISO8601DateFormatter()
        let objects: [[String: Any]] = statuses.map { status in
            let asset = status.asset
            return [
                "asset": asset.asset.rawValue,
                "enabled": asset.enabled,
                "sync_from": asset.syncFrom.description,
                "watermark": asset.watermark.description,
                "lag_seconds": status.lagSeconds,
                "stored_hours": asset.storedHours,
                "last_synced_at": asset.lastSyncedAt.map { formatter.string(from: $0) } ?? NSNull(),
                "last_run_status": status.lastRunStatus ?? NSNull(),
                "last_run_finished_at": status.lastRunFinishedAt.map { formatter.string(from: $0) } ?? NSNull(),
                "last_run_rows_written": status.lastRunRowsWritten ?? NSNull(),
                "last_error": asset.lastError ?? NSNull(),
                "last_error_at": asset.lastErrorAt.map { formatter.string(from: $0) } ?? NSNull(),
            ]
        }
        let data = try JSONSerialization.data(withJSONObject: objects, options: [.sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }
}
