import ArgumentParser

/// The options of the demo, shared by `liqsync demo` (which hands them on) and the
/// `liqsync-demo` program (which runs it).
public struct DemoOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Where the demo's PostgreSQL keeps its data.", valueName: "path"))
    public var dir = "liqsync-demo"

    @Option(help: ArgumentHelp("Use this database instead of starting one.", valueName: "url"))
    public var databaseURL: String?

    @Option(help: "Days of history to backfill.")
    public var days = 7

    @Option(help: ArgumentHelp(
        "The stand-in's page envelope: example (as the endpoint's reference page shows it, no \"result\") or general "
            + "(with Kaiko's general envelope: result, time, timestamp).",
        valueName: "example|general"))
    public var envelope = "example"

    public init() {}

    public func validate() throws {
        guard (1...60).contains(days) else { throw ValidationError("--days must be between 1 and 60") }
        guard ["example", "general"].contains(envelope) else {
            throw ValidationError("--envelope must be example or general, not '\(envelope)'")
        }
    }

    /// The same options as arguments, for handing them on.
    public var arguments: [String] {
        ["--dir", dir, "--days", String(days), "--envelope", envelope] + (databaseURL.map { ["--database-url", $0] } ?? [])
    }

    public static let abstract = "A first look, end to end: a local database and a stand-in Kaiko API."
    public static let discussion = """
        Starts a throwaway PostgreSQL (data under --dir) unless a database is configured, starts the \
        stand-in for Kaiko's API, migrates, tracks btc, eth and sol, backfills a week, runs one sync \
        pass, and shows the status and two analyst queries. Stops what it started.
        """
}
