import ArgumentParser
import CommandLineSupport
import Ingest
import LiquidationStore

/// The write guards a user may loosen, shared by sync, run, backfill and reconcile.
struct GuardOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "Most stored hours with liquidations that one chunk may turn into empty ones, whatever the share (also: how "
            + "long an asset's first load may be empty).",
        valueName: "hours"))
    var maxVanishingHours = ChunkGuards.defaultMaxVanishingHours

    @Option(help: ArgumentHelp(
        "Share (0 to 1) of a chunk's stored hours with liquidations it may turn into empty ones, beyond "
            + "\(ChunkGuards.vanishingFloor) hours: an outage upstream empties most of them at once, Kaiko's revisions an "
            + "hour now and then. Larger answers are refused as not credible; raise both only when Kaiko really removed them.",
        valueName: "share"))
    var maxVanishingShare = ChunkGuards.defaultMaxVanishingShare

    func validate() throws {
        guard maxVanishingHours >= 0 else { throw ValidationError("--max-vanishing-hours cannot be negative") }
        guard (0...1).contains(maxVanishingShare) else { throw ValidationError("--max-vanishing-share must be between 0 and 1") }
    }
}

/// When an hour is settled enough to be asked for: shared by every command that loads hours, so
/// a manual backfill or reconcile can use the service's setting.
struct SettleOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Seconds after an hour ends before it is asked for (as the service's).", valueName: "seconds"))
    var settleDelay: Int64 = LoadSettings.defaultSettleDelaySeconds

    func validate() throws {
        guard settleDelay >= 0 else { throw ValidationError("--settle-delay cannot be negative") }
    }
}
