import ArgumentParser
import CommandLineSupport
import FoundationEssentials
import LiquidationModel

/// The one clock of a command: the real one, or a pretended current time (hidden; tests and
/// demos against a stand-in API whose clock is not the real one).
struct ClockOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp("Pretend the current time is this (testing aid).", visibility: .hidden),
        transform: { text in
            do {
                return try UTCTimestamp.parse(text)
            } catch {
                throw ValidationError("--now: \(error)")
            }
        })
    var now: Int64?

    /// Seconds since the epoch, now (or what `--now` says).
    var currentSeconds: Int64 { now ?? Int64(Date().timeIntervalSince1970) }

    /// The clock the planner reads.
    func clock() -> @Sendable () -> Date {
        guard let now else { return { Date() } }
        let fixed = Date(timeIntervalSince1970: Double(now))
        return { fixed }
    }
}
