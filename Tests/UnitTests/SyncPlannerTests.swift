import Ingest
import LiquidationModel
import Testing

@Suite("SyncPlanner: which hours a pass asks for")
struct SyncPlannerTests {
    /// 2025-03-10T00:00:00Z.
    let midnight = UTCHour(containing: 1_741_564_800)
    let settings = SyncSettings(settleDelaySeconds: 600, maxChunkHours: 1000)

    @Test func aNewSettledHourIsFetchedWithTheLookback() {
        let watermark = midnight
        // 01:10:00: the hour 00:00-01:00 ended ten minutes ago.
        let windows = SyncPlanner.plan(
            syncFrom: midnight.advanced(by: -100), watermark: watermark, lookbackHours: 24, now: midnight.end + 600, settings: settings)
        #expect(windows == [HourWindow(start: midnight.advanced(by: -24), end: midnight.advanced(by: 1))])
    }

    @Test func nothingNewMeansNoRequestEvenWithALookback() {
        // 01:09:59: the hour after the watermark has not settled yet.
        let windows = SyncPlanner.plan(
            syncFrom: midnight.advanced(by: -100), watermark: midnight, lookbackHours: 24, now: midnight.end + 599, settings: settings)
        #expect(windows.isEmpty)
    }

    @Test func theLookbackStopsAtSyncFrom() {
        let windows = SyncPlanner.plan(
            syncFrom: midnight.advanced(by: -3), watermark: midnight, lookbackHours: 24, now: midnight.end + 3600 + 600, settings: settings)
        #expect(windows == [HourWindow(start: midnight.advanced(by: -3), end: midnight.advanced(by: 2))])
    }

    @Test func aLongCatchUpIsCutIntoChunksOfAtMostOneThousandHours() {
        let syncFrom = midnight.advanced(by: -2500)
        let windows = SyncPlanner.plan(syncFrom: syncFrom, watermark: syncFrom, lookbackHours: 24, now: midnight.end + 600, settings: settings)
        #expect(windows.map(\.hourCount) == [1000, 1000, 501])
        #expect(windows.first?.start == syncFrom && windows.last?.end == midnight.advanced(by: 1))
        #expect(zip(windows, windows.dropFirst()).allSatisfy { $0.end == $1.start })
    }
}
