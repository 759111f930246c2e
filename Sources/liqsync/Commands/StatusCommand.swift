import ArgumentParser
import CommandLineSupport
import FoundationEssentials
import LiquidationModel
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
        let objects: [JSONValue] = statuses.map { status in
            let asset = status.asset
            return .object([
                "asset": .string(asset.asset.rawValue),
                "enabled": .bool(asset.enabled),
                "sync_from": .string(asset.syncFrom.description),
                "watermark": .string(asset.watermark.description),
                "lag_seconds": .number(status.lagSeconds),
                "stored_hours": .number(asset.storedHours),
                "lookback_hours": .number(asset.lookbackHours),
                "final_before": .string(asset.finalBefore.description),
                "revisions_24h": .number(status.revisionsLastDay),
                "open_hours": .number(asset.openHours),
                "last_synced_at": .text(asset.lastSyncedAt.map { UTCTimestamp.format($0) }),
                "last_run_status": .text(status.lastRunStatus),
                "last_run_finished_at": .text(status.lastRunFinishedAt.map { UTCTimestamp.format($0) }),
                "last_run_rows_written": .number(status.lastRunRowsWritten),
                "last_error": .text(asset.lastError),
                "last_error_at": .text(asset.lastErrorAt.map { UTCTimestamp.format($0) }),
            ])
        }
        return try JSONValue.array(objects).rendered()
    }
}
