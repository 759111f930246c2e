import ArgumentParser
import CommandLineSupport
import Ingest
import LiquidationModel
import LiquidationStore
import Logging

/// What every command that loads hours (sync, run, backfill, reconcile) shares: the database,
/// the API, the write guards, the settle delay and the clock; and the one way to open what they
/// work with.
struct IngestOptions: ParsableArguments {
    @OptionGroup var global: GlobalOptions
    @OptionGroup var kaiko: KaikoOptions
    @OptionGroup var guards: GuardOptions
    @OptionGroup var settle: SettleOptions
    @OptionGroup var clock: ClockOptions

    /// Opens the connections (as many as a load with `load`'s options needs) and the API client
    /// (the schema checked), checks the local clock against the database server's
    /// (`checkingClock`; the service checks it before every pass instead), runs `body`, and
    /// closes everything whatever happens.
    func withResources<T>(
        logger: Logger, load: LoadOptions? = nil, checkingClock: Bool = true, _ body: (IngestResources) async throws -> T
    ) async throws -> T {
        let postgres = try await global.resolvedPostgresConfiguration(logger: logger)
        return try await IngestResources.with(
            postgres: postgres, kaiko: try kaiko.configuration(), maximumConnections: settings(load: load).connectionsNeeded,
            logger: logger
        ) { resources in
            if checkingClock {
                try await resources.pool.withConnection { [clock] connection in
                    try await ClockCheck.verify(localNow: clock.currentSeconds, on: connection)
                }
            }
            return try await body(resources)
        }
    }

    /// The settings of the service's loop with `load`'s and `sync`'s options (nil: the defaults).
    func settings(load: LoadOptions? = nil, sync: SyncOptions? = nil) -> LoadSettings {
        let defaults = LoadSettings()
        return LoadSettings(
            lookbackHours: sync?.lookbackHours, settleDelaySeconds: settle.settleDelay,
            concurrency: load?.concurrency ?? defaults.concurrency, maxVanishingHours: guards.maxVanishingHours,
            maxVanishingShare: guards.maxVanishingShare, prefetchChunks: load?.prefetch ?? defaults.prefetchChunks,
            maxHeldBytes: load.map { $0.prefetchMemory << 20 } ?? defaults.maxHeldBytes,
            requestsInFlight: sync?.requestsInFlight ?? defaults.requestsInFlight,
            claimLease: .seconds(load?.claimLease ?? Int(defaults.claimLease.components.seconds)))
    }

    /// The pipeline of a command that loads hours: from the API client of `resources`, with
    /// `load`'s and `sync`'s options, the command's logger and clock.
    func pipeline(_ resources: IngestResources, logger: Logger, load: LoadOptions? = nil, sync: SyncOptions? = nil)
        -> WindowPipeline
    {
        WindowPipeline(source: resources.client, settings: settings(load: load, sync: sync), logger: logger, now: clock.clock())
    }

    /// The last settled hour now, by the settle delay (as the service reckons it).
    var settledEnd: UTCHour {
        SyncPlanner.settledEnd(now: clock.currentSeconds, settings: settings())
    }
}

/// How much a command loads at once: sync, run and backfill.
struct LoadOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "Chunks written at once, one database connection each. Twice as many assets with many chunks to load (a "
            + "backfill's, a sync's catching up) are in progress at once, so the next ones' first chunks are on their way.",
        valueName: "n"))
    var concurrency = LoadSettings().concurrency

    @Option(help: ArgumentHelp(
        "Chunks fetched ahead while earlier ones are written, at most (0: one after another), shared by the assets "
            + "loaded at once. Within it, as many as hide the API's latency: more while writers wait for the API, fewer "
            + "on 429s and timeouts, and within --prefetch-memory.",
        valueName: "chunks"))
    var prefetch = LoadSettings.defaultPrefetchChunks

    @Option(help: ArgumentHelp(
        "MiB of fetched records held for the writers and expected from the requests fetching ahead, at most: what "
            + "bounds memory at any latency. Each MiB is about one more request in flight; raise it when the API "
            + "answers slowly and memory is plentiful.",
        valueName: "MiB"))
    var prefetchMemory = LoadSettings.defaultMaxHeldBytes >> 20

    @Option(help: ArgumentHelp(
        "How long an asset's claim holds without renewal (renewed every third of it while the asset is loaded): behind "
            + "a transaction pooler, how soon another liqsync takes over the assets of one that died.",
        valueName: "seconds"))
    var claimLease = Int(LoadSettings.defaultClaimLease.components.seconds)

    func validate() throws {
        guard (1...64).contains(concurrency) else { throw ValidationError("--concurrency must be between 1 and 64") }
        guard (0...256).contains(prefetch) else { throw ValidationError("--prefetch must be between 0 and 256") }
        guard (1...4096).contains(prefetchMemory) else { throw ValidationError("--prefetch-memory must be between 1 and 4096 MiB") }
        guard (3...3600).contains(claimLease) else { throw ValidationError("--claim-lease must be between 3 and 3600 seconds") }
    }
}

/// How the service's loop re-reads and paces an asset: sync and run.
struct SyncOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "Hours below the watermark re-read for late revisions. Default: each asset's own (24 unless set with "
            + "'liqsync assets lookback'); when given, it is recorded on each asset synced.",
        valueName: "hours"))
    var lookbackHours: Int?

    @Option(help: ArgumentHelp(
        "Assets of a pass whose first request may be in flight at once, before they take a database connection "
            + "(the default uses Kaiko's 100 requests/s at ~300 ms a request).",
        valueName: "requests"))
    var requestsInFlight = LoadSettings.defaultRequestsInFlight

    func validate() throws {
        if let lookbackHours, !(0...100_000).contains(lookbackHours) {
            throw ValidationError("--lookback-hours must be between 0 and 100000")
        }
        guard (1...256).contains(requestsInFlight) else {
            throw ValidationError("--requests-in-flight must be between 1 and 256")
        }
    }
}

/// `--asset`, repeatable: the assets a command acts on (sync, verify, reconcile).
struct AssetFilter: ParsableArguments {
    @Option(
        name: .customLong("asset"), help: ArgumentHelp("Only this asset (repeatable). Default: every tracked asset.", valueName: "asset"),
        transform: AssetArgument.parse)
    var assets: [AssetCode] = []
}

/// The assets a command acts on.
enum AssetSelection {
    /// The assets asked for, each once, in order, or all of `available` when none was; an asset
    /// asked for that is not available is a usage error naming it (`unavailable`: why not).
    static func choose(_ asked: [AssetCode], from available: [AssetCode], unavailable: String = "is not tracked")
        throws -> [AssetCode]
    {
        guard !asked.isEmpty else { return available }
        if let missing = asked.first(where: { !available.contains($0) }) {
            throw CommandFailure("asset '\(missing)' \(unavailable) (see 'liqsync assets list')", status: .usage)
        }
        return AssetArgument.unique(asked)
    }
}
