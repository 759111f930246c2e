import ArgumentParser
import CommandLineSupport
import FoundationEssentials
import LiquidationModel
import LiquidationStore

struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check the stored data; exit 1 with a report when something is wrong.",
        discussion: """
            Checks: gaps below the watermark, hours not on a whole hour, long + short != total \
            (trades exactly, amounts within a relative 1e-9), totals that differ from the sum of \
            their exchange rows, negative values, rows without their hour, exchange or asset, daily \
            and monthly rollups that differ from what they sum. By default every asset: row by row \
            the days liqsync changed since the last verification that found nothing wrong, and the \
            whole history's days through their rollups (no day missing or short of hours), which \
            takes seconds however long the history; the first verification checks every row. \
            --full checks every row (minutes at full coverage); --asset, --from and --to check every \
            row of what they name. Changes nothing but its own record. Exit 0 when clean, 1 otherwise.
            """)

    @OptionGroup var global: GlobalOptions

    @OptionGroup var only: AssetFilter
    var assets: [AssetCode] { only.assets }

    @Option(help: ArgumentHelp("Only hours from this one on.", valueName: "date"), transform: HourArgument.parser("--from"))
    var from: HourArgument?
    @Option(help: ArgumentHelp("Only hours before this one.", valueName: "date"), transform: HourArgument.parser("--to"))
    var to: HourArgument?

    @Flag(help: "Check every row of every asset, not only the days changed since the last clean verification.")
    var full = false

    @Flag(help: "Print the report as JSON.") var json = false

    func validate() throws {
        if let from, let to, from.hour >= to.hour { throw ValidationError("--from must be before --to") }
        if full && (!assets.isEmpty || from != nil || to != nil) {
            throw ValidationError("--full checks every asset and hour: leave out --asset, --from and --to")
        }
    }

    func run() async throws {
        let codes = assets
        let start = from?.hour
        let end = to?.hour
        let limited = !codes.isEmpty || start != nil || end != nil
        let report = try await global.withConnection(logger: global.makeLogger()) { [full] connection in
            let quality = DataQuality(connection: connection)
            return limited
                ? try await quality.run(assets: codes.isEmpty ? nil : codes, from: start, to: end)
                : try await quality.verify(full: full)
        }
        if json {
            Console.print(try VerifyJSON.render(report))
        } else {
            Console.print(VerifyText.render(report))
        }
        if !report.isClean { throw ExitCode(ExitStatus.failure.rawValue) }
    }
}

enum VerifyText {
    /// What was checked and how long it took.
    static func checked(_ report: DataQuality.Report) -> String {
        let seconds = "\((report.seconds * 10).rounded() / 10) s"
        switch report.scope {
        case .everything:
            return "every row: \(report.hoursChecked) stored hours checked, in \(seconds)"
        case .limited:
            return "\(report.hoursChecked) stored hours checked, in \(seconds)"
        case .changedSince(let since):
            return "the days changed since \(UTCTimestamp.format(since)) row by row (\(report.hoursChecked) hours) and "
                + "\(report.daysChecked) days of history through their rollups, in \(seconds)"
        }
    }

    static func render(_ report: DataQuality.Report) -> String {
        if report.isClean { return "OK: \(checked(report)); no problem found." }
        var lines = ["PROBLEMS FOUND (\(checked(report))):"]
        for kind in QualityProblem.Kind.allCases {
            let count = report.counts[kind] ?? 0
            guard count > 0 else { continue }
            lines.append("")
            lines.append("\(kind.rawValue): \(count)")
            for problem in report.problems where problem.kind == kind {
                let range = UTCTimestamp.format(problem.start) + (problem.end.map { " .. " + UTCTimestamp.format($0) } ?? "")
                lines.append("  \(problem.asset)  \(range)  \(problem.detail)")
            }
            let shown = report.problems.filter { $0.kind == kind }.count
            if count > shown { lines.append("  … and \(count - shown) more") }
        }
        return lines.joined(separator: "\n")
    }
}

enum VerifyJSON {
    static func render(_ report: DataQuality.Report) throws -> String {
        try JSONValue.object([
            "ok": .bool(report.isClean),
            "scope": .string(scope(report)),
            "checked_since": .text(report.scope.changedSince.map { UTCTimestamp.format($0) }),
            "hours_checked": .number(report.hoursChecked),
            "days_checked": .number(report.daysChecked),
            "milliseconds": .number(Int64((report.seconds * 1000).rounded())),
            "recorded": .bool(report.recorded),
            "counts": .object(
                Dictionary(uniqueKeysWithValues: QualityProblem.Kind.allCases.map { ($0.rawValue, .number(report.counts[$0] ?? 0)) })),
            "problems": .array(report.problems.map { problem in
                .object([
                    "kind": .string(problem.kind.rawValue), "asset": .string(problem.asset),
                    "start": .string(UTCTimestamp.format(problem.start)),
                    "end": .text(problem.end.map { UTCTimestamp.format($0) }), "detail": .string(problem.detail),
                ])
            }),
        ]).rendered()
    }

    /// `full`, `changed` or `limited`.
    static func scope(_ report: DataQuality.Report) -> String {
        switch report.scope {
        case .everything: "full"
        case .changedSince: "changed"
        case .limited: "limited"
        }
    }
}
