import LiquidationModel
import Testing

@testable import FakeKaiko

/// The stand-in's side of `Measure` (see `MeasureDerivationTests`): its pages send every
/// measure's field, in the totals and for each exchange.
@Suite("FakeKaiko: every measure on its pages")
struct StandInMeasureTests {
    @Test func theStandInSendsEveryMeasure() throws {
        let figures = FakeFigures(longTrades: 1, shortTrades: 2, longUnits: 3, shortUnits: 4)
        let json = ResponseJSON.records([FakeInterval(start: 1_740_787_200, exchanges: [(code: "bbit", figures: figures)])])
        for measure in Measure.allCases {
            #expect(json.split(separator: "\"\(measure.name)\":", omittingEmptySubsequences: false).count == 3, "\(measure.name) in \(json)")
        }
    }
}
