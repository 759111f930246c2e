import Foundation
import LiquidationModel
import Testing

@testable import LiquidationStore

/// The rules that keep an answer from erasing stored liquidations, as pure values.
@Suite("Emptiness: the vanishing guard, open hours, backfill progress")
struct EmptinessRulesTests {
    let first = UTCHour(containing: 1_741_564_800)
    let guards = ChunkGuards(settledEnd: UTCHour(containing: 1_741_564_800).advanced(by: 1000))

    /// An outage empties most of a window's active hours; a revision an hour or two. At the
    /// defaults the rule tells them apart whatever the window's length.
    @Test func atTheDefaultsAnOutageOfFiveOrMoreActiveHoursIsRefusedAndARevisionPasses() {
        for stored in 0...1000 {
            let allowed = EmptinessGuard.allowedVanishing(storedWithLiquidations: stored, guards: guards)
            #expect(allowed >= min(2, stored), "a revision of one or two hours always passes (\(stored))")
            #expect(allowed <= 24, "never more than --max-vanishing-hours")
            if stored >= 5 { #expect(allowed < stored, "all \(stored) active hours vanishing is refused") }
        }
        #expect(EmptinessGuard.allowedVanishing(storedWithLiquidations: 23, guards: guards) == 13)
        var loosened = guards
        loosened.maxVanishingShare = 1
        loosened.maxVanishingHours = 100
        #expect(EmptinessGuard.allowedVanishing(storedWithLiquidations: 23, guards: loosened) == 25)
    }

    func record(_ offset: Int, trades: Int64, exchanges: [ExchangeBreakdown] = []) -> IntervalRecord {
        let amount = DecimalAmount(String(trades))!
        return IntervalRecord(
            hour: first.advanced(by: offset),
            totals: LiquidationFigures(
                totalTrades: trades, totalAmount: amount, longTrades: trades, longAmount: amount, shortTrades: 0,
                shortAmount: .zero),
            exchanges: exchanges)
    }

    @Test func anHourWithZeroTotalsIsEmptyWhateverExchangeEntriesItLists() {
        let zeroEntry = ExchangeBreakdown(exchange: "bbit", figures: .zero)
        let listed = record(0, trades: 0, exchanges: [zeroEntry])
        #expect(listed.isEmpty)
        let vanishing = EmptinessGuard.vanishingHours(
            storedWithLiquidations: [first, first.advanced(by: 1)], records: [first: listed, first.advanced(by: 1): record(1, trades: 3)])
        #expect(vanishing == [first], "counted as vanishing like an hour left out")
    }

    @Test func openHoursAreRestoredByLiquidationsAndConfirmedByAReadADayLater() {
        let read = Date(timeIntervalSince1970: 1_741_600_000)
        let changes = OpenHourChanges(
            window: HourWindow(start: first, end: first.advanced(by: 8)), vanishing: [first.advanced(by: 5)],
            storedHours: Set((0..<6).map { first.advanced(by: $0) }),
            openSince: [
                first: read.addingTimeInterval(-3600),  // still empty, too soon
                first.advanced(by: 1): read.addingTimeInterval(-86_400),  // still empty, a day later
                first.advanced(by: 2): read.addingTimeInterval(-60),  // liquidations again
            ],
            records: [first.advanced(by: 2): record(2, trades: 4), first.advanced(by: 1): record(1, trades: 0)],
            readAt: read, confirmationSeconds: 86_400)
        // Hours 6 and 7 are new and empty in an answer that emptied a stored hour: open too.
        #expect(changes.opened == [5, 6, 7].map { first.advanced(by: $0) })
        #expect(changes.confirmed == [first.advanced(by: 1)])
        #expect(changes.restored == [first.advanced(by: 2)])
        let nothingVanished = OpenHourChanges(
            window: HourWindow(start: first, end: first.advanced(by: 8)), vanishing: [], storedHours: [first], openSince: [:],
            records: [:], readAt: read, confirmationSeconds: 86_400)
        #expect(nothingVanished.opened.isEmpty, "new empty hours alone are quiet hours")
    }

    func job(_ start: Int, _ end: Int, done: Int) -> BackfillJob {
        BackfillJob(
            id: Int64(start), asset: try! AssetCode(validating: "btc"),
            range: HourWindow(start: first.advanced(by: start), end: first.advanced(by: end)), doneUntil: first.advanced(by: done))
    }

    /// A backfill is identified by its whole range: it loads what earlier ones did not commit.
    @Test func aBackfillResumesAfterWhatEarlierOnesCommittedWithoutAGap() {
        func resume(_ start: Int, _ end: Int, _ jobs: [BackfillJob]) -> Int {
            first.distance(to: BackfillJobs.resumePoint(of: HourWindow(start: first.advanced(by: start), end: first.advanced(by: end)), after: jobs))
        }
        #expect(resume(0, 100, []) == 0)
        #expect(resume(0, 100, [job(0, 40, done: 40)]) == 40, "extends a finished one: loads the difference")
        #expect(resume(0, 30, [job(0, 40, done: 40)]) == 30, "inside a finished one: nothing left")
        #expect(resume(0, 100, [job(0, 40, done: 25)]) == 25, "overlaps an interrupted one: resumes it, goes on to its end")
        #expect(resume(10, 100, [job(0, 40, done: 25), job(25, 60, done: 60)]) == 60, "committed parts chain")
        #expect(resume(0, 100, [job(0, 40, done: 20), job(30, 60, done: 60)]) == 20, "a gap stops it")
        #expect(resume(0, 100, [job(5, 40, done: 40)]) == 0, "a job starting later covers nothing before it")
        #expect(BackfillJobs.interruptedEnd(from: first, jobs: [job(0, 40, done: 25), job(0, 60, done: 60)]) == first.advanced(by: 40))
    }
}
