import ArgumentParser
import CommandLineSupport
import LiquidationStore

/// The write guards a user may loosen, shared by sync, run and backfill.
struct GuardOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "Stored hours with liquidations that one chunk may turn into empty ones (also: how long an asset's first load "
            + "may be empty). Larger answers are refused as not credible; raise it only when Kaiko really removed them.",
        valueName: "hours"))
    var maxVanishingHours = ChunkGuards.defaultMaxVanishingHours

    func validate() throws {
        guard maxVanishingHours >= 0 else { throw ValidationError("--max-vanishing-hours cannot be negative") }
    }
}
