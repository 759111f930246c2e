import CommandLineSupport
import Glibc
import Ingest
import Logging

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
