import LiquidationModel
import Testing

@testable import LiquidationStore

/// How a verification of what changed groups the changed days it reads row by row.
@Suite("verify: the changed days in runs")
struct VerificationScopeTests {
    let day0 = UTCHour(containing: 1_740_787_200)  // 2025-03-01

    func day(_ offset: Int) -> UTCHour { day0.advanced(by: offset * 24) }

    @Test func daysAWeekApartOrLessMakeOneRunOfEveryAssetInIt() {
        let runs = ChangedDays.runs([("btc", day(0)), ("eth", day(0)), ("btc", day(1)), ("sol", day(7))])
        #expect(runs == [ChangedDays.Run(assets: ["btc", "eth", "sol"], days: HourWindow(start: day(0), end: day(8)))])
    }

    @Test func daysFurtherApartMakeRunsOfTheirOwn() {
        let runs = ChangedDays.runs([("btc", day(0)), ("eth", day(9)), ("eth", day(10)), ("btc", day(400))])
        #expect(runs == [
            ChangedDays.Run(assets: ["btc"], days: HourWindow(start: day(0), end: day(1))),
            ChangedDays.Run(assets: ["eth"], days: HourWindow(start: day(9), end: day(11))),
            ChangedDays.Run(assets: ["btc"], days: HourWindow(start: day(400), end: day(401))),
        ])
    }

    @Test func nothingChangedIsNoRun() {
        #expect(ChangedDays.runs([]).isEmpty)
    }
}
