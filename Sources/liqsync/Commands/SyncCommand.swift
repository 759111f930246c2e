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
            revisions. Prints one line per asset. Exits 0 when every asset synced; when assets failed, \
            with their failures' status if they all failed the same way (75 temporary, 65 bad data from \
            the API, 77 access refused, ...), else 1.
            """)

    @OptionGroup var ingest: IngestOptions
    @OptionGroup var load: LoadOptions
    @OptionGroup var syncOptions: SyncOptions

    var settings: LoadSettings { ingest.settings(load: load, sync: syncOptions) }

    @OptionGroup var only: AssetFilter
    var assets: [AssetCode] { only.assets }

    func run() async throws {
        let logger = ingest.global.makeLogger()
        let outcomes = try await ingest.withResources(logger: logger, load: load) { resources in
            let syncer = AssetSyncer(pipeline: ingest.pipeline(resources, logger: logger, load: load, sync: syncOptions))
            let pass = SyncPass(syncer: syncer, pool: resources.pool)
            let due = try AssetSelection.choose(
                assets, from: try await pass.dueAssets(only: assets.isEmpty ? nil : assets),
                unavailable: "is not tracked or is disabled")
            if due.isEmpty { Console.print("No enabled assets. Add some with 'liqsync assets add btc eth'.") }
            return await pass.run(due)
        }
        outcomes.forEach { Console.print($0.syncSummary) }
        let status = ExitStatus.of(assetFailures: outcomes.compactMap(\.failureKind))
        if status != .success { throw ExitCode(status.rawValue) }
    }
}
