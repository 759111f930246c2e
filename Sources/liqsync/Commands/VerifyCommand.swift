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
            their exchange rows, negative values. Read-only. Exit 0 when clean, 1 otherwise.
            """)

    @OptionGroup var global: GlobalOptions

    @OptionGroup var only: AssetFilter
    var assets: [AssetCode] { only.assets }

    @Option(help: ArgumentHelp("Only hours from this one on.", valueName: "date"), transform: HourArgument.parser("--from"))
    var from: HourArgument?
    @Option(help: ArgumentHelp("Only hours before this one.", valueName: "date"), transform: HourArgument.parser("--to"))
    var to: HourArgument?

    @Flag(help: "Print the report as JSON.") var json = false

    func validate() throws {
        if let from, let to, from.hour >= to.hour { throw ValidationError("--from must be before --to") }
    }

    func run() async throws {
        let codes = assets
        let start = from?.hour
        let end = to?.hour
        let report = try await global.withConnection(logger: global.makeLogger()) { connection in
            try await DataQuality(connection: connection).run(assets: codes.isEmpty ? nil : codes, from: start, to: end)
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
    static func render(_ report: DataQuality.Report) -> String {
        if report.isClean { return "OK: \(report.hoursChecked) stored hours checked, no problem found." }
        var lines = ["PROBLEMS FOUND (\(report.hoursChecked) stored hours checked):"]
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
            "hours_checked": .number(report.hoursChecked),
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
}
