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

    @OptionGroup var global: GlobalOptions
    @OptionGroup var kaiko: KaikoOptions
    @OptionGroup var syncOptions: SyncOptions
    @OptionGroup var guards: GuardOptions
    @OptionGroup var clock: ClockOptions

    @Option(
        name: .customLong("asset"), help: ArgumentHelp("Only this asset (repeatable).", valueName: "asset"),
        transform: AssetArgument.parse)
    var assets: [AssetCode] = []

    func run() async throws {
        let logger = global.makeLogger()
        let outcomes = try await IngestResources.with(
            postgres: global.postgresConfiguration(), kaiko: try kaiko.configuration(), logger: logger
        ) { resources in
            let syncer = AssetSyncer(
                source: resources.client, settings: syncOptions.settings(guards: guards), logger: logger, now: clock.clock())
            let pass = SyncPass(syncer: syncer, pool: resources.pool)
            let due = try await pass.dueAssets(only: assets.isEmpty ? nil : assets)
            if let missing = assets.first(where: { !due.contains($0) }) {
                throw CommandFailure("asset '\(missing)' is not tracked or is disabled (see 'liqsync assets list')", status: .usage)
            }
            if due.isEmpty { Console.print("No enabled assets. Add some with 'liqsync assets add btc eth'.") }
            return await pass.run(due)
        }
        outcomes.forEach { Console.print($0.summary) }
        let failures = Set(outcomes.compactMap(\.failureKind))
        guard let only = failures.first else { return }
        throw ExitCode(failures.count == 1 ? only.exitStatus.rawValue : ExitStatus.failure.rawValue)
    }
}
