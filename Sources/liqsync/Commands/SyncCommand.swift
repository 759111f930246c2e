import ArgumentParser
import CommandLineSupport
import Ingest
import LiquidationModel
import LiquidationStore

struct SyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Run one sync pass over the tracked assets, then exit (for cron or timers).",
        discussion: """
            Each enabled asset is brought up to the last settled hour, re-reading the lookback for \
            revisions. Prints one line per asset. Exits 0 when every asset synced; otherwise with the \
            status of the failure (75 temporary, 65 bad data from the API, 77 access refused, 1 mixed).
            """)

    @OptionGroup var ingest: IngestOptions
    @OptionGroup var load: LoadOptions
    @OptionGroup var syncOptions: SyncOptions

    @OptionGroup var only: AssetFilter
    var assets: [AssetCode] { only.assets }

    var settings: LoadSettings { ingest.settings(load: load, sync: syncOptions) }

    func run() async throws {
        let logger = ingest.global.makeLogger()
        let outcomes = try await ingest.withResources(logger: logger) { resources in
            let syncer = AssetSyncer(source: resources.client, settings: settings, logger: logger, now: ingest.clock.clock())
            let pass = SyncPass(syncer: syncer, pool: resources.pool)
            let due = try AssetSelection.choose(
                assets, from: try await pass.dueAssets(only: assets.isEmpty ? nil : assets),
                unavailable: "is not tracked or is disabled")
            if due.isEmpty { Console.print("No enabled assets. Add some with 'liqsync assets add btc eth'.") }
            return await pass.run(due)
        }
        outcomes.forEach { Console.print($0.summary) }
        let failures = Set(outcomes.compactMap(\.failureKind))
        guard let only = failures.first else { return }
        throw ExitCode(failures.count == 1 ? only.exitStatus.rawValue : ExitStatus.failure.rawValue)
    }
}
