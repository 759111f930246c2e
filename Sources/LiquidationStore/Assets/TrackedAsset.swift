import Foundation
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
}
