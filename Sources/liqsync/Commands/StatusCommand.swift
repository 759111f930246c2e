import ArgumentParser
import CommandLineSupport
import FoundationEssentials
import LiquidationModel
import LiquidationStore

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show each asset's watermark, lag, revisions of the last 24 hours, last run and last error.",
        discussion: """
            Below the table, each backfill not finished: hours done of its range, and whether it is \
            running (its asset claimed by a live liqsync, a chunk committed in the last 10 minutes) or \
            interrupted (the same backfill command run again resumes it).
            """)

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Print JSON (stable keys, for scripts and monitoring).")
    var json = false

    func run() async throws {
        let (statuses, backfills) = try await global.withConnection(logger: global.makeLogger()) { connection in
            (try await AssetStore(connection: connection).status(), try await BackfillJobs.unfinished(on: connection))
        }
        if json {
            Console.print(try StatusJSON.render(statuses, backfills: backfills))
            return
        }
        guard !statuses.isEmpty else {
            Console.print("No assets are tracked. Add some with 'liqsync assets add btc eth'.")
            return
        }
        Console.print(StatusTable.render(statuses))
        if !backfills.isEmpty { Console.print("\n" + BackfillsText.render(backfills, now: Date())) }
    }
}

/// The backfills not finished, under `status`'s table: every running one, and the interrupted
/// ones (listed when few, counted when many).
enum BackfillsText {
    static let listedUpTo = 20

    static func render(_ backfills: [UnfinishedBackfill], now: Date) -> String {
        let running = backfills.filter(\.running)
        let interrupted = backfills.filter { !$0.running }
        let done = running.reduce(0) { $0 + $1.hoursDone }
        let total = running.reduce(0) { $0 + $1.job.range.hourCount }
        var lines = ["Backfills running: \(running.count)" + (running.isEmpty ? "" : ", \(done) of \(total) hours done (\(percent(done, total))%)")]
        for backfill in running {
            lines.append("  " + line(backfill) + ", last chunk \(StatusTable.duration(Int64(now.timeIntervalSince(backfill.lastProgressAt)))) ago")
        }
        if !interrupted.isEmpty {
            lines.append("Backfills interrupted: \(interrupted.count) (run the same backfill command again to resume)")
            for backfill in interrupted.prefix(listedUpTo) { lines.append("  " + line(backfill)) }
            if interrupted.count > listedUpTo { lines.append("  … and \(interrupted.count - listedUpTo) more") }
        }
        return lines.joined(separator: "\n")
    }

    static func line(_ backfill: UnfinishedBackfill) -> String {
        let (hours, total) = (backfill.hoursDone, backfill.job.range.hourCount)
        return "\(backfill.job.asset) \(backfill.job.range): \(hours) of \(total) hours (\(percent(hours, total))%)"
    }

    static func percent(_ part: Int, _ whole: Int) -> Int { whole == 0 ? 100 : part * 100 / whole }
}

/// `status --json`: an array of objects; every key always present, null when empty.
enum StatusJSON {
    static func render(_ statuses: [AssetStatus], backfills: [UnfinishedBackfill]) throws -> String {
        let objects: [JSONValue] = statuses.map { status in
            let asset = status.asset
            let backfill = backfills.filter { $0.job.asset == asset.asset }.max { ($0.running ? 1 : 0) < ($1.running ? 1 : 0) }
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
                "backfill": backfill.map { backfill in
                    .object([
                        "from": .string(backfill.job.range.start.description), "to": .string(backfill.job.range.end.description),
                        "hours_done": .number(backfill.hoursDone), "hours_total": .number(backfill.job.range.hourCount),
                        "running": .bool(backfill.running),
                        "last_progress_at": .string(UTCTimestamp.format(backfill.lastProgressAt)),
                    ])
                } ?? .null,
            ])
        }
        return try JSONValue.array(objects).rendered()
    }
}
