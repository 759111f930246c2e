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

    public init(
        asset: AssetCode, enabled: Bool, syncFrom: UTCHour, watermark: UTCHour, lastSyncedAt: Date? = nil,
        lastError: String? = nil, lastErrorAt: Date? = nil, storedHours: Int64 = 0, lookbackHours: Int = 24
    ) {
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

    /// Hours before this one are final: no sync re-reads them (the views' `final_before`).
    public var finalBefore: UTCHour { watermark.advanced(by: -lookbackHours) }
}
