import FoundationEssentials
import LiquidationModel

/// An asset liqsync keeps current, as stored in `liquidations.asset`.
public struct TrackedAsset: Sendable, Equatable {
    public var asset: AssetCode
    public var enabled: Bool
    /// First hour of the history to keep.
    public var syncFrom: UTCHour
    /// Every hour in `[syncFrom, watermark)` is stored.
    public var watermark: UTCHour
    public var lastSyncedAt: Date?
    public var lastError: String?
    public var lastErrorAt: Date?
    /// Hours stored for this asset.
    public var storedHours: Int64
    /// Hours below the watermark each sync re-reads; older hours are final.
    public var lookbackHours: Int
    /// Stored hours a re-read emptied, open until confirmed (`OpenHour`).
    public var openHours: Int

    public init(
        asset: AssetCode, enabled: Bool, syncFrom: UTCHour, watermark: UTCHour, lastSyncedAt: Date? = nil,
        lastError: String? = nil, lastErrorAt: Date? = nil, storedHours: Int64 = 0, lookbackHours: Int = 24,
        openHours: Int = 0
    ) {
        self.openHours = openHours
        self.asset = asset
        self.enabled = enabled
        self.syncFrom = syncFrom
        self.watermark = watermark
        self.lastSyncedAt = lastSyncedAt
        self.lastError = lastError
        self.lastErrorAt = lastErrorAt
        self.storedHours = storedHours
        self.lookbackHours = lookbackHours
    }

    /// Hours before this one are final unless open: no sync re-reads them (the views' `final_before`).
    public var finalBefore: UTCHour { watermark.advanced(by: -lookbackHours) }
}

/// A stored hour whose liquidations a re-read emptied (`liquidations.emptied_hour`): re-read by
/// sync passes and not final until a read `ChunkGuards.emptiedHourConfirmationSeconds` later
/// confirms the emptiness, or brings the liquidations back.
public struct OpenHour: Sendable, Equatable {
    public var hour: UTCHour
    /// When the read that emptied it started.
    public var emptiedAt: Date

    public init(hour: UTCHour, emptiedAt: Date) {
        self.hour = hour
        self.emptiedAt = emptiedAt
    }
}
