import ArgumentParser
import CommandLineSupport
import FoundationEssentials
import Ingest
import LiquidationModel
import LiquidationStore

struct ReconcileCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reconcile",
        abstract: "Compare stored hours with the source; --repair rewrites those that differ.",
        discussion: """
            Re-fetches [--from, --to) (the part of it that is stored, up to the last settled hour by \
            --settle-delay, as the service) and compares it with the database value by value: hours whose \
            totals differ or that are missing, exchanges that differ, are missing or are extra. This finds \
            rows edited in the tables too, which re-reads skip. Exit 0 when everything is equal, 1 when \
            something differs. With --repair, the hours that differ are rewritten through the normal write \
            path and its guards, under the asset's claim (waiting for a service busy with it), each change \
            logged in the revisions view; it then \
            exits 0. An asset that cannot be reconciled is reported and the others go on; the exit status \
            is then as for sync: the failures' status when they all failed the same way (75 temporary, 65 \
            bad data from the API, ...) and nothing differs, else 1.
            """)

    @OptionGroup var ingest: IngestOptions

    @OptionGroup var only: AssetFilter
    var assets: [AssetCode] { only.assets }

    @Option(help: ArgumentHelp("First hour to compare.", valueName: "date"), transform: HourArgument.parser("--from"))
    var from: HourArgument

    @Option(help: ArgumentHelp("End of the range, exclusive.", valueName: "date"), transform: HourArgument.parser("--to"))
    var to: HourArgument

    @Flag(help: "Rewrite the hours that differ from the source.")
    var repair = false

    @Flag(help: "Print the report as JSON (stable keys).")
    var json = false

    func validate() throws {
        guard from.hour < to.endHour else { throw ValidationError("--from \(from.text) must be before --to \(to.text)") }
    }

    func run() async throws {
        let logger = ingest.global.makeLogger()
        let reports = try await ingest.withResources(logger: logger) { resources in
            let tracked = try await resources.pool.withConnection { connection in
                try await AssetStore(connection: connection).list(countingStoredHours: false).map(\.asset)
            }
            let reconciler = Reconciler(pipeline: ingest.pipeline(resources, logger: logger))
            return await reconciler.reconcile(
                try AssetSelection.choose(assets, from: tracked), from: from.hour, to: to.endHour, repair: repair,
                pool: resources.pool)
        }
        Console.print(json ? try ReconcileReport.json(reports, repaired: repair) : ReconcileReport.text(reports, repaired: repair))
        let status = ExitStatus.of(
            assetFailures: reports.compactMap(\.failureKind),
            problemsFound: !repair && reports.contains { !$0.differences.isEmpty })
        if status != .success { throw ExitCode(status.rawValue) }
    }
}

/// The reconcile report, as text and as JSON.
enum ReconcileReport {
    static func text(_ reports: [Reconciler.Report], repaired: Bool) -> String {
        var lines: [String] = []
        for report in reports {
            if let failure = report.failure {
                lines.append("\(report.asset): FAILED: \(failure)")
                continue
            }
            guard let window = report.window else {
                lines.append("\(report.asset): nothing stored in the range")
                continue
            }
            let found = report.differences.count
            var line = "\(report.asset) \(window): \(report.hoursCompared) hours compared, "
                + (found == 0 ? "no difference" : "\(found) difference\(found == 1 ? "" : "s")")
            if repaired && found > 0 { line += "; \(report.repairedHours) hours rewritten, \(report.revisions) revisions logged" }
            lines.append(line)
            for difference in report.differences.prefix(50) {
                let scope = (difference.exchange ?? "totals").padded(toWidth: 8)
                var text = "  \(difference.hour)  \(scope)  \(difference.kind.rawValue.padded(toWidth: 7))"
                if let stored = difference.stored { text += "  stored \(Self.figures(stored))" }
                if let source = difference.source { text += "  source \(Self.figures(source))" }
                lines.append(text)
            }
            if found > 50 { lines.append("  … and \(found - 50) more") }
        }
        let total = reports.reduce(0) { $0 + $1.differences.count }
        let failed = reports.filter { $0.failure != nil }.count
        if failed > 0 {
            lines.append("FAILED: \(failed) asset\(failed == 1 ? "" : "s") could not be reconciled (see above); the others were.")
        }
        if total == 0 && failed > 0 {
            lines.append("No difference in the assets that were reconciled.")
        } else if total == 0 {
            lines.append("OK: the stored hours equal the source.")
        } else if repaired {
            lines.append("REPAIRED: \(total) differences; the hours that differed were rewritten from the source.")
        } else {
            lines.append("DIFFERENCES FOUND: \(total) (liqsync reconcile --repair rewrites those hours from the source)")
        }
        return lines.joined(separator: "\n")
    }

    /// `total_trades 40, total_amount 474520.35, long_trades 2, ...`: every measure, amounts exact.
    static func figures(_ figures: LiquidationFigures) -> String {
        Measure.allCases.map { "\($0.name) \(text(figures[$0]))" }.joined(separator: ", ")
    }

    static func text(_ value: FigureValue) -> String {
        switch value {
        case .count(let count): "\(count)"
        case .amount(let amount): amount.text
        }
    }

    static func json(_ reports: [Reconciler.Report], repaired: Bool) throws -> String {
        // Keyed as the views' columns; amounts as strings, exact.
        func figures(_ figures: LiquidationFigures?) -> JSONValue {
            guard let figures else { return .null }
            return .object(Dictionary(uniqueKeysWithValues: Measure.allCases.map { measure in
                switch figures[measure] {
                case .count(let count): (measure.viewColumn, JSONValue.number(count))
                case .amount(let amount): (measure.viewColumn, JSONValue.string(amount.text))
                }
            }))
        }
        return try JSONValue.object([
            "ok": .bool(reports.allSatisfy { $0.differences.isEmpty && $0.failure == nil }),
            "repaired": .bool(repaired),
            "assets": .array(reports.map { report in
                .object([
                    "asset": .string(report.asset.rawValue),
                    "from": .text(report.window.map { $0.start.description }),
                    "to": .text(report.window.map { $0.end.description }),
                    "hours_compared": .number(report.hoursCompared),
                    "differences": .number(report.differences.count),
                    "repaired_hours": .number(report.repairedHours),
                    "error": .text(report.failure),
                ])
            }),
            "differences": .array(reports.flatMap(\.differences).map { difference in
                .object([
                    "asset": .string(difference.asset.rawValue), "interval_start": .string(difference.hour.description),
                    "exchange": .text(difference.exchange), "kind": .string(difference.kind.rawValue),
                    "stored": figures(difference.stored), "source": figures(difference.source),
                ])
            }),
        ]).rendered()
    }
}
