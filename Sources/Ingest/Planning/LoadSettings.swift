import LiquidationModel
import LiquidationStore

/// How the pipeline loads, whichever command drives it (sync, run, backfill, reconcile): what a
/// sync fetches, chunk sizes, the writer's guards, the claims' lease, what may be in flight.
public struct LoadSettings: Sendable, Equatable {
    /// Hours below the watermark re-read when a new hour settles, to pick up late revisions;
    /// nil: each asset's own (`liquidations.asset.lookback_hours`). When set, it is also
    /// recorded on each asset synced, so the views know which hours are final.
    public var lookbackHours: Int?
    /// An hour is asked for only once it ended at least this long ago.
    public var settleDelaySeconds: Int64
    /// Hours per request and per transaction (the API's page maximum).
    public var maxChunkHours: Int
    /// Assets synced at the same time.
    public var concurrency: Int
    /// Stored hours with liquidations one chunk may empty, and which share of them (see `ChunkGuards`).
    public var maxVanishingHours: Int
    public var maxVanishingShare: Double
    /// How long an asset's claim holds without renewal (`defaultClaimLease`).
    public var claimLease: Duration
    /// An open hour (a stored hour a read emptied) is confirmed by a read this long after.
    public var emptiedHourConfirmationSeconds: Int64
    /// Chunks fetched ahead while earlier ones are being written (`forEachPrefetched`), at most:
    /// hides the API's latency behind the database's work. Shared by the assets loaded at once,
    /// and as many as the latency needs (`FetchAhead`), up to this.
    public var prefetchChunks: Int
    /// Bytes of fetched records waiting for their writer and expected from the requests fetching
    /// ahead, at most (`FetchAhead`): what bounds memory at any latency (`--prefetch-memory`).
    public var maxHeldBytes: Int
    /// Assets of a sync pass in progress at once (see `LoadSession`): waiting for the API
    /// costs no connection, so this, not `concurrency`, bounds the requests in flight. Sized to
    /// Kaiko's budget: 100 requests a second at some 300 ms a request need about 30 in flight.
    public var requestsInFlight: Int

    public static let defaultSettleDelaySeconds: Int64 = 600
    /// How long an asset's claim holds without renewal: behind a transaction pooler, how soon the
    /// assets of a liqsync that died are taken over (on a direct connection: as soon as its
    /// session ends).
    public static let defaultClaimLease: Duration = .seconds(60)
    /// Enough to hide a second of latency at Kaiko's 100 requests a second with room to spare;
    /// `maxHeldBytes` bounds what they hold.
    public static let defaultPrefetchChunks = 64
    /// Some ten chunks of 1000 hours (`FetchedWindow.estimatedBytes`), held or on their way:
    /// more than the writers (`concurrency`) take at once, and with each asset in progress's own
    /// next chunk about twenty requests in flight, which hide 300 ms at the pace PostgreSQL
    /// writes on two cores. More hides more latency at about a MiB of memory a request.
    public static let defaultMaxHeldBytes = 8 << 20
    public static let defaultRequestsInFlight = 32
    /// An asset whose pass plans more hours than this (or more than one chunk) is catching up:
    /// at most `concurrency` of those are in progress at once, which bounds the memory their
    /// long chunks take. Fewer hours (one new hour and the lookback) is the steady state.
    public static let catchingUpAboveHours = 72

    public init(
        lookbackHours: Int? = nil, settleDelaySeconds: Int64 = defaultSettleDelaySeconds, maxChunkHours: Int = 1000, concurrency: Int = 4,
        maxVanishingHours: Int = ChunkGuards.defaultMaxVanishingHours,
        maxVanishingShare: Double = ChunkGuards.defaultMaxVanishingShare,
        emptiedHourConfirmationSeconds: Int64 = ChunkGuards.defaultEmptiedHourConfirmationSeconds,
        prefetchChunks: Int = defaultPrefetchChunks, maxHeldBytes: Int = defaultMaxHeldBytes,
        requestsInFlight: Int = defaultRequestsInFlight, claimLease: Duration = defaultClaimLease
    ) {
        self.maxHeldBytes = maxHeldBytes
        self.claimLease = claimLease
        self.maxVanishingShare = maxVanishingShare
        self.emptiedHourConfirmationSeconds = emptiedHourConfirmationSeconds
        self.requestsInFlight = requestsInFlight
        self.prefetchChunks = prefetchChunks
        self.maxVanishingHours = maxVanishingHours
        self.lookbackHours = lookbackHours
        self.settleDelaySeconds = settleDelaySeconds
        self.maxChunkHours = maxChunkHours
        self.concurrency = concurrency
    }

    /// The chunks fetched ahead of one command: as many as hide the API's latency, up to
    /// `prefetchChunks` and `maxHeldBytes`, the limit exported as a metric.
    public func makeFetchAhead() -> FetchAhead {
        FetchAhead(cap: prefetchChunks, maxHeldBytes: maxHeldBytes) { limit in SyncMetrics.fetchAheadLimit.record(Double(limit)) }
    }

    /// Assets with many chunks to load (a backfill's, a sync's catching up) in progress at once:
    /// twice the writers, so that the first chunks of the next assets are on their way while
    /// the last ones of others are written (an asset started only once a writer is free costs
    /// that writer a whole request's latency). What they hold in memory is bounded by
    /// `maxHeldBytes` and one chunk each.
    public var assetsCatchingUp: Int { 2 * max(1, concurrency) }

    /// Database connections a load uses at most, and so the pool's bound: one holding the
    /// assets' claims, one per writer (`concurrency`), and one for what is read or recorded
    /// outside the writers (a pass's read of its assets, the exchange names' refresh).
    public var connectionsNeeded: Int { concurrency + 2 }

    /// The writer's guards for chunks planned at `now` (seconds since the epoch).
    public func guards(now: Int64) -> ChunkGuards {
        guards(settledEnd: SyncPlanner.settledEnd(now: now, settings: self))
    }

    /// The writer's guards, the settled hours ending at `settledEnd`.
    public func guards(settledEnd: UTCHour) -> ChunkGuards {
        ChunkGuards(
            settledEnd: settledEnd, maxVanishingHours: maxVanishingHours, maxVanishingShare: maxVanishingShare,
            emptiedHourConfirmationSeconds: emptiedHourConfirmationSeconds)
    }
}
