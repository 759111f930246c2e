import LiquidationModel
import LiquidationStore

/// Which windows a sync pass fetches for an asset. Pure: no clock, no I/O.
public enum SyncPlanner {
    /// `[max(sync_from, watermark - lookbackHours), floor_hour(now - settle_delay))`, in chunks of at
    /// most `maxChunkHours`; empty when there is nothing to do (then no request is made).
    ///
    /// The lookback is re-read only together with a new settled hour: a pass with nothing new
    /// makes no request, so a service polling every minute re-reads the recent hours once an
    /// hour (when the next hour settles) rather than sixty times, and a revision is still picked
    /// up within the hour.
    public static func plan(
        syncFrom: UTCHour, watermark: UTCHour, lookbackHours: Int, now: Int64, settings: SyncSettings
    ) -> [HourWindow] {
        let start = max(syncFrom, watermark.advanced(by: -lookbackHours))
        let end = settledEnd(now: now, settings: settings)
        guard watermark < end, start < end else { return [] }
        return HourWindow(start: start, end: end).chunks(ofAtMost: settings.maxChunkHours)
    }

    /// The end (exclusive) of the hours that ended at least the settle delay before `now`: no
    /// chunk reaches past it, and the writer refuses one that would.
    public static func settledEnd(now: Int64, settings: SyncSettings) -> UTCHour {
        UTCHour(containing: now - settings.settleDelaySeconds)
    }

    /// The lookback of the settings, else the asset's own.
    public static func plan(_ asset: TrackedAsset, now: Int64, settings: SyncSettings) -> [HourWindow] {
        plan(
            syncFrom: asset.syncFrom, watermark: asset.watermark, lookbackHours: settings.lookbackHours ?? asset.lookbackHours,
            now: now, settings: settings)
    }
}
