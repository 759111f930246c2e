import ArgumentParser
import CommandLineSupport
import Foundation
import LiquidationStore

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show each asset's watermark, lag, revisions of the last 24 hours, last run and last error.")

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
        Console.print(StatusTable.render(statuses))
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
                "lookback_hours": asset.lookbackHours,
                "final_before": asset.finalBefore.description,
                "revisions_24h": status.revisionsLastDay,
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
