import CommandLineSupport
import Glibc
import Ingest
import Logging

/// Shows backfill progress: live bars on a terminal, a log line every few seconds otherwise. The
/// first line is every asset together (hours done of the total, requests a second and in
/// flight, the time left); then one per asset, only those in progress when there are many.
struct ProgressReporter: Sendable {
    let progress: BackfillProgress
    let logger: Logger
    /// The API requests waiting for an answer now.
    let requestsInFlight: @Sendable () -> Int
    /// Up to this many assets, each has its line all along; beyond, only those in progress.
    static let everyAssetUpTo = 10

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
        let all = progress.snapshot
        let entries = all.count <= Self.everyAssetUpTo ? all.filter { $0.begun || $0.finished } : all.filter { $0.begun && !$0.finished }
        let summary = BackfillProgress.summaryLine(progress.summary, requestsInFlight: requestsInFlight())
        if terminal {
            var text = previousLines > 0 ? "\u{1B}[\(previousLines)A" : ""
            let lines = [summary] + entries.map { BackfillProgress.line($0) }
            for line in lines { text += "\r\u{1B}[2K" + line + "\n" }
            // Lines left from a longer frame are cleared.
            for _ in 0..<max(0, previousLines - lines.count) { text += "\r\u{1B}[2K\n" }
            Console.write(text, to: STDERR_FILENO)
            return max(lines.count, previousLines)
        }
        logger.info("backfill progress", metadata: ["progress": "\(summary)"])
        if all.count <= Self.everyAssetUpTo {
            for entry in entries where !entry.finished {
                logger.info("backfill progress", metadata: ["progress": "\(BackfillProgress.line(entry))"])
            }
        }
        return 0
    }
}
