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
            asset's watermark; an asset that is not tracked yet starts being tracked from --from. One \
            liqsync writes an asset at a time (it claims it): a backfill waits while a running service \
            has the asset, and a service pass leaves an asset alone while a backfill has it. One asset's \
            failure does not stop the others; the exit status is then as for sync: the failures' status \
            when they all failed the same way (75 temporary, 65 bad data from the API, ...), else 1.
            """)

    @OptionGroup var ingest: IngestOptions
    @OptionGroup var load: LoadOptions
    @OptionGroup var datasetStart: DatasetStartOption

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

    /// Hours are loaded once they ended the settle delay ago, as the service loads them.
    private var settledEnd: UTCHour { ingest.settledEnd }

    func validate() throws {
        if let to, from.hour >= to.endHour {
            throw ValidationError("--from \(from.text) must be before --to \(to.text)")
        }
        if let to, KaikoDataset.loadStart(requested: from.hour, includingEarlier: datasetStart.beforeDatasetStart) >= to.endHour {
            throw ValidationError(
                "--to \(to.text) ends before Kaiko's liquidation data starts (\(KaikoDataset.firstHour)): nothing to load "
                    + "(--before-dataset-start loads such hours as zero rows)")
        }
        guard from.hour.secondsSinceEpoch < ingest.clock.currentSeconds else {
            throw ValidationError("--from \(from.text) is in the future")
        }
        if let to, to.endHour > settledEnd {
            throw ValidationError(
                "--to \(to.text) is past the last settled hour: hours before \(settledEnd) have ended and settled; "
                    + "give an earlier --to, or none to load up to the watermark")
        }
    }

    func run() async throws {
        let logger = ingest.global.makeLogger()
        let from = datasetStart.start(self.from, option: "--from")
        let progress = BackfillProgress()
        let (results, seconds) = try await ingest.withResources(logger: logger, load: load) { resources -> ([BackfillPass.Result], Double)? in
            let runner = BackfillRunner(pipeline: ingest.pipeline(resources, logger: logger, load: load), progress: progress)
            let pass = BackfillPass(runner: runner, pool: resources.pool)
            let plans = try await pass.plan(
                AssetArgument.unique(assets), from: from, to: to?.endHour, restart: restart, settledEnd: settledEnd)
            if dryRun {
                Self.printPlan(plans)
                return nil
            }
            for plan in plans where !plan.alreadyLoaded {
                progress.expect(plan.asset, totalHours: plan.range.hourCount, alreadyDone: plan.range.start.distance(to: plan.resumeFrom))
            }
            let started = ContinuousClock.now
            let client = resources.client
            let reporting = Task {
                await ProgressReporter(progress: progress, logger: logger, requestsInFlight: { client.requestsInFlight }).run()
            }
            let results = await pass.run(plans, restart: restart)
            reporting.cancel()
            await reporting.value
            return (results, started.duration(to: .now).inSeconds)
        } ?? ([], 0)
        guard !results.isEmpty else { return }
        try Self.printSummary(results, seconds: seconds)
    }

    static func printPlan(_ plans: [BackfillPlan]) {
        Console.print("Backfill plan (nothing will be changed):")
        plans.forEach { Console.print("  \($0.description)") }
        let chunks = plans.flatMap(\.chunks)
        Console.print("Total: \(chunks.reduce(0) { $0 + $1.hourCount }) hours, about \(chunks.count) requests.")
    }

    /// One line per asset and a total; throws the exit status of the failures (`ExitStatus.of`).
    static func printSummary(_ results: [BackfillPass.Result], seconds: Double) throws {
        var hours = 0, requests = 0, pages = 0
        var rows = RowCounts()
        for result in results {
            let (plan, outcome) = (result.plan, result.outcome)
            switch outcome.end {
            case .notPlanned:
                Console.print(plan.description)
            case .failed:
                Console.print("\(plan.asset): FAILED: \(outcome.failure.map { "\($0)" } ?? "")")
            case .interrupted:
                Console.print("\(plan.asset): interrupted after \(outcome.hours) hours (run the same command again to resume)")
            case .completed, .notClaimed:
                Console.print(
                    "\(plan.asset): \(outcome.hours) hours in \(outcome.chunks) chunks; rows \(outcome.rows.inserted) inserted, "
                        + "\(outcome.rows.updated) updated, \(outcome.rows.deleted) deleted, \(outcome.rows.unchanged) unchanged; "
                        + "\(outcome.requests) requests (\(outcome.requests - outcome.pages) retries)")
            }
            hours += outcome.hours
            rows += outcome.rows
            requests += outcome.requests
            pages += outcome.pages
        }
        Console.print(
            "Backfill finished in \((seconds * 10).rounded() / 10) s: \(hours) hours, \(rows.inserted) rows inserted, "
                + "\(rows.updated) updated, \(rows.unchanged) unchanged, \(requests) requests, \(requests - pages) retries.")
        // An asset interrupted is resumed by running the command again: a temporary failure.
        let status = ExitStatus.of(assetFailures: results.compactMap { $0.outcome.failureKind ?? ($0.outcome.interrupted ? .temporary : nil) })
        if status != .success { throw ExitCode(status.rawValue) }
    }
}
