import ArgumentParser
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

    @Option(name: .customLong("asset"), help: ArgumentHelp("Only this asset (repeatable).", valueName: "asset"))
    var assets: [String] = []

    func validate() throws {
        _ = try assets.map(AssetArgument.parse)
    }

    func run() async throws {
        let logger = global.makeLogger()
        let named = try assets.map(AssetArgument.parse)
        let engine = try await SyncEngine.start(global: global, kaiko: kaiko, sync: syncOptions, guards: guards, logger: logger)
        let outcomes: [AssetSyncOutcome]
        do {
            let due = try await engine.pass.dueAssets(only: named.isEmpty ? nil : named)
            if let missing = named.first(where: { !due.contains($0) }) {
                throw CommandFailure("asset '\(missing)' is not tracked or is disabled (see 'liqsync assets list')", status: .usage)
            }
            if due.isEmpty { Console.print("No enabled assets. Add some with 'liqsync assets add btc eth'.") }
            outcomes = await engine.pass.run(due)
        } catch {
            await engine.shutdown()
            throw error
        }
        await engine.shutdown()
        outcomes.forEach { Console.print($0.summary) }
        let failures = Set(outcomes.compactMap(\.failureKind))
        guard !failures.isEmpty else { return }
        throw ExitCode(failures.count == 1 ? failures.first!.exitStatus.rawValue : ExitStatus.failure.rawValue)
    }
}
