import FoundationEssentials
import LiquidationModel

/// Why a chunk is being written: the service keeping current, or a backfill of history.
public enum RunKind: String, Sendable {
    case sync
    case backfill
    /// `liqsync reconcile --repair` rewriting hours that differ from the source.
    case repair
}

/// One fetched window of one asset, ready to be written in one transaction.
public struct ChunkWrite: Sendable {
    public var asset: AssetCode
    public var window: HourWindow
    /// Validated records of hours inside `window`; hours absent here are written as zeros.
    public var records: [IntervalRecord]
    public var kind: RunKind
    public var pages: Int
    public var dataVersion: String?
    public var startedAt: Date
    /// What the writer refuses to do on the strength of this answer.
    public var guards: ChunkGuards
    /// Hours merged even when their fingerprint matches the stored one (a repair of rows edited
    /// in the tables, which fingerprints cannot see).
    public var forcedHours: Set<UTCHour> = []
    /// The lookback the sync re-reading this chunk used, recorded on the asset so the views know
    /// which hours are final; nil leaves the asset's as it is.
    public var lookbackHours: Int?

    public init(
        asset: AssetCode, window: HourWindow, records: [IntervalRecord], kind: RunKind, pages: Int,
        dataVersion: String?, startedAt: Date, guards: ChunkGuards
    ) {
        self.guards = guards
        self.asset = asset
        self.window = window
        self.records = records
        self.kind = kind
        self.pages = pages
        self.dataVersion = dataVersion
        self.startedAt = startedAt
    }
}

/// The writer's refusals, so that no answer can destroy what is stored or claim time that has
/// not passed, and how long an hour that turned empty stays open. See `EmptinessGuard`.
public struct ChunkGuards: Sendable, Equatable {
    /// The end of the settled hours (exclusive): no hour at or after it is written, so the
    /// watermark never passes the last settled hour.
    public var settledEnd: UTCHour
    /// The most stored hours with liquidations one chunk may turn into empty ones, whatever the
    /// share; an asset's first load may be empty over at most this many hours of the dataset.
    public var maxVanishingHours: Int
    /// The share of a chunk's stored hours with liquidations it may turn empty, beyond
    /// `vanishingFloor` hours (see `EmptinessGuard.allowedVanishing`).
    public var maxVanishingShare: Double
    /// A stored hour a read turned empty is confirmed empty by a read this long after.
    public var emptiedHourConfirmationSeconds: Int64

    public static let defaultMaxVanishingHours = 24
    public static let defaultMaxVanishingShare = 0.5
    /// Hours a chunk may always empty, however few its stored hours with liquidations: Kaiko's
    /// revisions drop an hour or two now and then.
    public static let vanishingFloor = 2
    public static let defaultEmptiedHourConfirmationSeconds: Int64 = 86_400

    public init(
        settledEnd: UTCHour, maxVanishingHours: Int = ChunkGuards.defaultMaxVanishingHours,
        maxVanishingShare: Double = ChunkGuards.defaultMaxVanishingShare,
        emptiedHourConfirmationSeconds: Int64 = ChunkGuards.defaultEmptiedHourConfirmationSeconds
    ) {
        self.settledEnd = settledEnd
        self.maxVanishingHours = maxVanishingHours
        self.maxVanishingShare = maxVanishingShare
        self.emptiedHourConfirmationSeconds = emptiedHourConfirmationSeconds
    }
}

/// What a chunk's transaction changed. Unchanged rows are not rewritten.
public struct ChunkWriteResult: Sendable, Equatable {
    public var hoursInserted = 0
    public var hoursUpdated = 0
    public var hoursUnchanged = 0
    public var exchangeRowsInserted = 0
    public var exchangeRowsUpdated = 0
    public var exchangeRowsDeleted = 0
    public var exchangeRowsUnchanged = 0
    /// Changes to hours already stored, written to the revision log.
    public var revisions = 0
    /// Stored hours with liquidations this chunk turned empty: open until confirmed.
    public var hoursEmptied = 0
    /// Open hours this chunk closed: read empty again a day later, or with liquidations again.
    public var openHoursConfirmed = 0
    public var openHoursRestored = 0
    /// The asset's watermark after the commit.
    public var watermark: UTCHour

    /// Hourly and exchange rows together.
    public var rows: RowCounts {
        RowCounts(
            inserted: hoursInserted + exchangeRowsInserted, updated: hoursUpdated + exchangeRowsUpdated,
            deleted: exchangeRowsDeleted, unchanged: hoursUnchanged + exchangeRowsUnchanged)
    }

    public init(watermark: UTCHour) { self.watermark = watermark }
}

/// Rows a write (or a sum of writes) inserted, updated, deleted or left as they were.
public struct RowCounts: Sendable, Equatable {
    public var inserted = 0
    public var updated = 0
    public var deleted = 0
    public var unchanged = 0

    public init(inserted: Int = 0, updated: Int = 0, deleted: Int = 0, unchanged: Int = 0) {
        self.inserted = inserted
        self.updated = updated
        self.deleted = deleted
        self.unchanged = unchanged
    }

    /// Rows that changed: inserted, updated or deleted.
    public var written: Int { inserted + updated + deleted }

    public static func += (total: inout RowCounts, more: RowCounts) {
        total.inserted += more.inserted
        total.updated += more.updated
        total.deleted += more.deleted
        total.unchanged += more.unchanged
    }
}
