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
        syncFrom: UTCHour, watermark: UTCHour, lookbackHours: Int, now: Int64, settings: LoadSettings
    ) -> [HourWindow] {
        let start = max(syncFrom, watermark.advanced(by: -lookbackHours))
        let end = settledEnd(now: now, settings: settings)
        guard watermark < end, start < end else { return [] }
        return HourWindow(start: start, end: end).chunks(ofAtMost: settings.maxChunkHours)
    }

    /// The end (exclusive) of the hours that ended at least the settle delay before `now`: no
    /// chunk reaches past it, and the writer refuses one that would.
    public static func settledEnd(now: Int64, settings: LoadSettings) -> UTCHour {
        UTCHour(containing: now - settings.settleDelaySeconds)
    }

    /// The lookback of the settings, else the asset's own; and the asset's open hours below it,
    /// in every pass (so a pass with nothing new makes a request only for an asset with open hours).
    public static func plan(_ asset: TrackedAsset, openHours: [OpenHour] = [], now: Int64, settings: LoadSettings) -> [HourWindow] {
        let windows = plan(
            syncFrom: asset.syncFrom, watermark: asset.watermark, lookbackHours: settings.lookbackHours ?? asset.lookbackHours,
            now: now, settings: settings)
        return rereading(openHours, before: windows, settings: settings) + windows
    }

    /// Windows re-reading the open hours (stored hours a read emptied) that `windows` do not
    /// cover, in every pass, a new hour settled or not: an outage's zeros are repaired by the
    /// first pass after the source recovers, and an open hour is confirmed by the first pass a day
    /// after it emptied. A run of consecutive open hours is one window; runs less than a day
    /// apart share one (a request each saved; hours in between are written only if they changed).
    static func rereading(_ openHours: [OpenHour], before windows: [HourWindow], settings: LoadSettings) -> [HourWindow] {
        let limit = windows.first?.start
        let hours = openHours.map(\.hour).filter { hour in limit.map { hour < $0 } ?? true }.sorted()
        var runs: [HourWindow] = []
        for hour in hours {
            if let last = runs.last, last.end.distance(to: hour) < 24 {
                runs[runs.count - 1] = HourWindow(start: last.start, end: hour.next)
            } else {
                runs.append(HourWindow(start: hour, end: hour.next))
            }
        }
        return runs.flatMap { $0.chunks(ofAtMost: settings.maxChunkHours) }
    }
}
