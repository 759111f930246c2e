import ArgumentParser
import Foundation
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
            Loads [--from, --to) in chunks of up to 1000 hours, each in its own transaction with its \
            progress, through the same validation and write path as sync. Running the same command \
            again after a crash or Ctrl-C continues where it stopped, and after it finished does \
            nothing (--restart loads everything again, updating what changed). --to defaults to the asset's watermark; an asset that is not tracked yet starts \
            being tracked from --from. The asset's lock makes a backfill wait for a running service \
            to finish its chunk, and the other way round.
            """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var kaiko: KaikoOptions
    @OptionGroup var guards: GuardOptions

    @Argument(help: ArgumentHelp("Kaiko asset codes.", valueName: "asset"))
    var assets: [String]

    @Option(help: ArgumentHelp("First hour to load: a date or UTC time (floored to the hour).", valueName: "date"))
    var from: String

    @Option(help: ArgumentHelp("End of the range, exclusive. Default: the asset's watermark, or now.", valueName: "date"))
    var to: String?

    @Flag(help: "Load the whole range again, ignoring the progress of an earlier run.")
    var restart = false

    @Flag(help: "Print the plan (chunks, requests, hours) and change nothing.")
    var dryRun = false

    @Option(help: "Assets loaded at the same time.")
    var concurrency = 4

    /// For tests and demos against a stand-in whose clock is not the real one.
    @Option(help: ArgumentHelp("Pretend the current time is this (testing aid).", visibility: .hidden))
    var now: String?

    func validate() throws {
        _ = try assets.map(AssetArgument.parse)
        let range = try parsedRange()
        if let end = range.to, range.from >= end {
            throw ValidationError("--from \(from) must be before --to \(to ?? "")")
        }
        guard range.from.secondsSinceEpoch < currentSeconds() else { throw ValidationError("--from \(from) is in the future") }
        if let end = range.to, end > settledEnd() {
            throw ValidationError(
                "--to \(to ?? "") is past the last settled hour: hours before \(settledEnd()) have ended and settled; "
                    + "give an earlier --to, or none to load up to the watermark")
        }
        guard (1...64).contains(concurrency) else { throw ValidationError("--concurrency must be between 1 and 64") }
    }

    private func currentSeconds() -> Int64 {
        if let now, let seconds = try? UTCTimestamp.parse(now) { return seconds }
        return Int64(Date().timeIntervalSince1970)
    }

    /// Hours are loaded once they ended the settle delay ago, as the service does.
    private func settledEnd() -> UTCHour {
        SyncPlanner.settledEnd(now: currentSeconds(), settings: SyncSettings())
    }

    private func parsedRange() throws -> (from: UTCHour, to: UTCHour?) {
        let start = try HourArgument.parse(from, option: "--from").hour
        let end = try to.map { try HourArgument.parse($0, option: "--to") }
        // An end inside an hour still covers that hour's start.
        let endHour = end.map { $0.wasRounded ? $0.hour.next : $0.hour }
        return (start, endHour)
    }

    func run() async throws {
        let logger = global.makeLogger()
        let codes = try assets.map(AssetArgument.parse).reduce(into: [AssetCode]()) { if !$0.contains($1) { $0.append($1) } }
        let range = try parsedRange()
        if range.from < KaikoDataset.firstHour {
            Console.warn("Kaiko's liquidation data starts at \(KaikoDataset.firstHour); earlier hours will be stored as zero rows")
        }
        let now = currentSeconds()
        let settled = SyncPlanner.settledEnd(now: now, settings: SyncSettings())
        let configuration = try kaiko.configuration()
        let pool = ConnectionPool(configuration: global.postgresConfiguration(), logger: logger)
        let client = KaikoClient(configuration: configuration, logger: logger)
        let progress = BackfillProgress()
        let runner = BackfillRunner(
            client: client, logger: logger, progress: progress, maxVanishingHours: guards.maxVanishingHours)
        defer { Task { try? await client.shutdown() } }
        do {
            try await pool.withConnection { connection in
                try await MigrationRunner(connection: connection, migrations: try Migration.embedded(), logger: logger)
                    .requireUpToDate()
                try await ClockCheck.verify(localNow: now, on: connection)
            }
            var plans: [BackfillRunner.Plan] = []
            for asset in codes {
                plans.append(try await pool.withConnection { connection in
                    try await runner.plan(
                        asset: asset, from: range.from, to: range.to, restart: restart, settledEnd: settled,
                        on: connection)
                })
            }
            if dryRun {
                Console.print("Backfill plan (nothing will be changed):")
                plans.forEach { Console.print("  \($0.description)") }
                let hours = plans.flatMap(\.chunks).reduce(0) { $0 + $1.hourCount }
                Console.print("Total: \(hours) hours, about \(plans.flatMap(\.chunks).count) requests.")
                await pool.closeAll()
                return
            }
            let started = ContinuousClock.now
            let reporter = ProgressReporter(progress: progress, logger: logger)
            let reporting = Task { await reporter.run() }
            let results = await runAll(plans, runner: runner, pool: pool)
            reporting.cancel()
            await reporting.value
            await pool.closeAll()
            try await client.shutdown()
            try printSummary(results, seconds: AssetSyncer.seconds(started.duration(to: .now)))
        } catch {
            await pool.closeAll()
            throw error
        }
    }

    private func runAll(_ plans: [BackfillRunner.Plan], runner: BackfillRunner, pool: ConnectionPool) async
        -> [(BackfillRunner.Plan, Result<BackfillRunner.Outcome, any Error>)]
    {
        let restart = self.restart
        let concurrency = self.concurrency
        @Sendable func load(_ index: Int) async -> (Int, Result<BackfillRunner.Outcome, any Error>) {
            do {
                return (index, .success(try await pool.withConnection { try await runner.run(plans[index], restart: restart, on: $0) }))
            } catch {
                return (index, .failure(error))
            }
        }
        return await withTaskGroup(of: (Int, Result<BackfillRunner.Outcome, any Error>).self) { group in
            var waiting = plans.indices.makeIterator()
            for _ in 0..<concurrency {
                guard let index = waiting.next() else { break }
                group.addTask { await load(index) }
            }
            var results: [Int: Result<BackfillRunner.Outcome, any Error>] = [:]
            while let (index, result) = await group.next() {
                results[index] = result
                if let index = waiting.next() { group.addTask { await load(index) } }
            }
            return plans.indices.map {
                (plans[$0], results[$0] ?? .failure(CommandFailure("the backfill of \(plans[$0].asset) did not report back", status: .software)))
            }
        }
    }

    private func printSummary(_ results: [(BackfillRunner.Plan, Result<BackfillRunner.Outcome, any Error>)], seconds: Double) throws {
        var firstError: (any Error)?
        var total = BackfillRunner.Outcome(asset: results.first!.0.asset)
        for (plan, result) in results {
            switch result {
            case .success(let outcome) where outcome.alreadyLoaded:
                Console.print(plan.description)
            case .success(let outcome):
                Console.print(
                    "\(plan.asset): \(outcome.hours) hours in \(outcome.chunks) chunks; rows \(outcome.inserted) inserted, "
                        + "\(outcome.updated) updated, \(outcome.deleted) deleted, \(outcome.unchanged) unchanged; "
                        + "\(outcome.requests) requests (\(outcome.requests - outcome.pages) retries)")
                total.hours += outcome.hours
                total.inserted += outcome.inserted
                total.updated += outcome.updated
                total.deleted += outcome.deleted
                total.unchanged += outcome.unchanged
                total.requests += outcome.requests
                total.pages += outcome.pages
            case .failure(let error):
                Console.print("\(plan.asset): FAILED: \(error)")
                firstError = firstError ?? error
            }
        }
        Console.print(
            "Backfill finished in \(String(format: "%.1f", seconds)) s: \(total.hours) hours, \(total.inserted) rows inserted, "
                + "\(total.updated) updated, \(total.unchanged) unchanged, \(total.requests) requests, "
                + "\(total.requests - total.pages) retries.")
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
            FileHandle.standardError.write(Data(text.utf8))
            return entries.count
        }
        for entry in entries where !entry.finished {
            logger.info("backfill progress", metadata: ["progress": "\(BackfillProgress.line(entry))"])
        }
        return 0
    }
}
