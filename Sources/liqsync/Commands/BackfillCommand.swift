import ArgumentParser
import CommandLineSupport
import FoundationEssentials
import Glibc
import Ingest
import KaikoAPI
import LiquidationModel
import LiquidationStore
import Logging

struct BackfillCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backfill",
        abstract: "Load history for assets; resumable, safe beside the running service.",
        discussion: """
            Loads [--from, --to) in chunks of up to 1000 hours (from the dataset's first hour, \
            \(KaikoDataset.firstHour), at the earliest, unless --before-dataset-start), each in its own transaction with its \
            progress, through the same validation and write path as sync. Running the same command \
            again after a crash or Ctrl-C continues where it stopped, and after it finished does \
            nothing (--restart loads everything again, updating what changed). --to defaults to the \
            asset's watermark; an asset that is not tracked yet starts being tracked from --from. The \
            asset's lock makes a backfill wait for a running service to finish its chunk, and the \
            other way round.
            """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var kaiko: KaikoOptions
    @OptionGroup var guards: GuardOptions
    @OptionGroup var clock: ClockOptions
    @OptionGroup var datasetStart: DatasetStartOption
    @OptionGroup var settle: SettleOptions

    @Argument(help: ArgumentHelp("Kaiko asset codes.", valueName: "asset"), transform: AssetArgument.parse)
    var assets: [AssetCode]

    @Option(
        help: ArgumentHelp("First hour to load: a date or UTC time (floored to the hour).", valueName: "date"),
        transform: HourArgument.parser("--from"))
    var from: HourArgument

    @Option(
        help: ArgumentHelp("End of the range, exclusive. Default: the asset's watermark, or now.", valueName: "date"),
        transform: HourArgument.parser("--to"))
    var to: HourArgument?

    @Flag(help: "Load the whole range again, ignoring the progress of an earlier run.")
    var restart = false

    @Flag(help: "Print the plan (chunks, requests, hours) and change nothing.")
    var dryRun = false

    @Option(help: "Assets loaded at the same time.")
    var concurrency = 4

    @Option(help: PrefetchOption.help)
    var prefetch = SyncSettings.defaultPrefetchChunks

    /// Hours are loaded once they ended the settle delay ago, as the service loads them.
    private var settledEnd: UTCHour {
        SyncPlanner.settledEnd(now: clock.currentSeconds, settings: SyncSettings(settleDelaySeconds: settle.settleDelay))
    }

    func validate() throws {
        if let to, from.hour >= to.endHour {
            throw ValidationError("--from \(from.text) must be before --to \(to.text)")
        }
        if let to, KaikoDataset.loadStart(requested: from.hour, includingEarlier: datasetStart.beforeDatasetStart) >= to.endHour {
            throw ValidationError(
                "--to \(to.text) ends before Kaiko's liquidation data starts (\(KaikoDataset.firstHour)): nothing to load "
                    + "(--before-dataset-start loads such hours as zero rows)")
        }
        guard from.hour.secondsSinceEpoch < clock.currentSeconds else { throw ValidationError("--from \(from.text) is in the future") }
        if let to, to.endHour > settledEnd {
            throw ValidationError(
                "--to \(to.text) is past the last settled hour: hours before \(settledEnd) have ended and settled; "
                    + "give an earlier --to, or none to load up to the watermark")
        }
        guard (1...64).contains(concurrency) else { throw ValidationError("--concurrency must be between 1 and 64") }
        try PrefetchOption.validate(prefetch)
    }

    func run() async throws {
        let logger = global.makeLogger()
        let from = datasetStart.start(self.from, option: "--from")
        let progress = BackfillProgress()
        let (results, seconds) = try await IngestResources.with(
            postgres: global.postgresConfiguration(), kaiko: try kaiko.configuration(), logger: logger
        ) { resources -> ([BackfillPass.Result], Double)? in
            try await resources.pool.withConnection { connection in
                try await ClockCheck.verify(localNow: clock.currentSeconds, on: connection)
            }
            let runner = BackfillRunner(
                source: resources.client, logger: logger, progress: progress, maxVanishingHours: guards.maxVanishingHours,
                maxVanishingShare: guards.maxVanishingShare, prefetchChunks: prefetch, now: clock.clock())
            let pass = BackfillPass(runner: runner, pool: resources.pool, concurrency: concurrency)
            let plans = try await pass.plan(
                AssetArgument.unique(assets), from: from, to: to?.endHour, restart: restart, settledEnd: settledEnd)
            if dryRun {
                Self.printPlan(plans)
                return nil
            }
            let started = ContinuousClock.now
            let reporting = Task { await ProgressReporter(progress: progress, logger: logger).run() }
            let results = await pass.run(plans, restart: restart)
            reporting.cancel()
            await reporting.value
            return (results, started.duration(to: .now).inSeconds)
        } ?? ([], 0)
        guard !results.isEmpty else { return }
        try Self.printSummary(results, seconds: seconds)
    }

    static func printPlan(_ plans: [BackfillRunner.Plan]) {
        Console.print("Backfill plan (nothing will be changed):")
        plans.forEach { Console.print("  \($0.description)") }
        let chunks = plans.flatMap(\.chunks)
        Console.print("Total: \(chunks.reduce(0) { $0 + $1.hourCount }) hours, about \(chunks.count) requests.")
    }

    /// One line per asset and a total; throws the first failure, for the exit status.
    static func printSummary(_ results: [BackfillPass.Result], seconds: Double) throws {
        var firstError: (any Error)?
        var hours = 0, requests = 0, pages = 0
        var rows = RowCounts()
        for result in results {
            let plan = result.plan
            switch result.outcome {
            case .success(let outcome) where outcome.alreadyLoaded:
                Console.print(plan.description)
            case .success(let outcome):
                Console.print(
                    "\(plan.asset): \(outcome.hours) hours in \(outcome.chunks) chunks; rows \(outcome.rows.inserted) inserted, "
                        + "\(outcome.rows.updated) updated, \(outcome.rows.deleted) deleted, \(outcome.rows.unchanged) unchanged; "
                        + "\(outcome.requests) requests (\(outcome.requests - outcome.pages) retries)")
                hours += outcome.hours
                rows += outcome.rows
                requests += outcome.requests
                pages += outcome.pages
            case .failure(let error):
                Console.print("\(plan.asset): FAILED: \(error)")
                firstError = firstError ?? error
            }
        }
        Console.print(
            "Backfill finished in \((seconds * 10).rounded() / 10) s: \(hours) hours, \(rows.inserted) rows inserted, "
                + "\(rows.updated) updated, \(rows.unchanged) unchanged, \(requests) requests, \(requests - pages) retries.")
        if let firstError { throw firstError }
    }
}

/// Shows backfill progress: live bars on a terminal, a log line every few seconds otherwise.
struct ProgressReporter: Sendable {
    let progress: BackfillProgress
    let logger: Logger

    func run() async {
        let terminal = isatty(STDERR_FILENO) == 1
        var drawn = 0
        while !Task.isCancelled {
            try? await Task.sleep(for: terminal ? .milliseconds(200) : .seconds(5))
            drawn = render(terminal: terminal, previousLines: drawn)
        }
        if terminal { _ = render(terminal: true, previousLines: drawn) }
    }

    private func render(terminal: Bool, previousLines: Int) -> Int {
        let entries = progress.snapshot
        if terminal {
            var text = previousLines > 0 ? "\u{1B}[\(previousLines)A" : ""
            for entry in entries { text += "\r\u{1B}[2K" + BackfillProgress.line(entry) + "\n" }
            Console.write(text, to: STDERR_FILENO)
            return entries.count
        }
        for entry in entries where !entry.finished {
            logger.info("backfill progress", metadata: ["progress": "\(BackfillProgress.line(entry))"])
        }
        return 0
    }
}
