import Foundation
import Ingest
import LiquidationModel
import LiquidationStore
import Testing

@Suite("SyncPlanner: which hours a pass asks for")
struct SyncPlannerTests {
    /// 2025-03-10T00:00:00Z.
    let midnight = UTCHour(containing: 1_741_564_800)
    let settings = LoadSettings(settleDelaySeconds: 600, maxChunkHours: 1000)

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

    // MARK: - Open hours (stored hours a read emptied)

    func asset(watermark: UTCHour) -> TrackedAsset {
        TrackedAsset(asset: try! AssetCode(validating: "btc"), enabled: true, syncFrom: midnight.advanced(by: -500), watermark: watermark)
    }

    func open(_ offset: Int, emptiedAt: Int64) -> OpenHour {
        OpenHour(hour: midnight.advanced(by: offset), emptiedAt: Date(timeIntervalSince1970: Double(emptiedAt)))
    }

    @Test func openHoursBelowTheLookbackAreReReadInRunsADayApartAtMost() {
        let now = midnight.end + 600
        let emptied = now - 3600
        let openHours = [-30, -29, -40, -200, -24, 0].map { open($0, emptiedAt: emptied) }
        let windows = SyncPlanner.plan(asset(watermark: midnight), openHours: openHours, now: now, settings: settings)
        #expect(windows == [
            HourWindow(start: midnight.advanced(by: -200), end: midnight.advanced(by: -199)),
            // -40 and -30/-29 are less than a day apart: one request. -24 and 0 are in the lookback.
            HourWindow(start: midnight.advanced(by: -40), end: midnight.advanced(by: -28)),
            HourWindow(start: midnight.advanced(by: -24), end: midnight.advanced(by: 1)),
        ])
    }

    @Test func openHoursAreReReadEvenInAPassWithNothingNew() {
        let now = midnight.end + 599  // the next hour has not settled
        #expect(SyncPlanner.plan(asset(watermark: midnight), openHours: [], now: now, settings: settings).isEmpty)
        let openHours = [open(-30, emptiedAt: now - 60), open(-31, emptiedAt: now - 86_400)]
        #expect(SyncPlanner.plan(asset(watermark: midnight), openHours: openHours, now: now, settings: settings)
            == [HourWindow(start: midnight.advanced(by: -31), end: midnight.advanced(by: -29))])
    }
}
