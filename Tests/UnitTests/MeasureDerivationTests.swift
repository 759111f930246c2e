import Foundation
import LiquidationModel
import Testing

import Ingest

@testable import KaikoAPI
@testable import LiquidationStore
@testable import liqsync

/// Every list of figures derives from `Measure.allCases`: each test here holds one of them to it,
/// measure by measure, so that a new measure the list misses fails here rather than at run time
/// or, worse, silently (an hour whose only change is in the new figure judged unchanged).
/// (The stand-in's pages: `KaikoAPITests.StandInMeasureTests`; the schema:
/// `MigrationTests.everyMeasureIsAColumnOfEveryTableAndViewOfFigures`.)
@Suite("Measures: every list of figures follows Measure.allCases")
struct MeasureDerivationTests {
    let hour = UTCHour(containing: 1_740_787_200)  // 2025-03-01T00:00:00Z

    /// A value for `measure` that no other measure has here: counts 11, 12, ...; amounts 0.5, 1.5, ...
    static func sample(_ measure: Measure, offset: Int = 0) -> FigureValue {
        measure.isAmount
            ? .amount(DecimalAmount("\(measure.rawValue + offset).5")!) : .count(Int64(11 + measure.rawValue + offset))
    }

    /// Zero figures but `measure`, which has its sample.
    static func only(_ measure: Measure, offset: Int = 0) -> LiquidationFigures {
        var figures = LiquidationFigures.zero
        figures[measure] = sample(measure, offset: offset)
        return figures
    }

    static var everyMeasure: LiquidationFigures {
        LiquidationFigures(PerMeasure { sample($0) })
    }

    @Test func theFiguresHoldEveryMeasureInItsOwnPlace() {
        for measure in Measure.allCases {
            let figures = Self.only(measure)
            #expect(figures[measure] == Self.sample(measure), "\(measure.name)")
            #expect(!figures.isZero, "\(measure.name) alone makes the figures non-zero")
            for other in Measure.allCases where other != measure {
                #expect(figures[other].isZero, "setting \(measure.name) changed \(other.name)")
            }
        }
        let values = Measure.allCases.map { Self.sample($0) }
        #expect(LiquidationFigures(values: values).map { figures in Measure.allCases.map { figures[$0] } } == values)
        #expect(PerMeasure { $0 }.values == Measure.allCases)
        #expect(Set(Measure.allCases.map(\.viewColumn)).count == Measure.allCases.count)
    }

    @Test func theColumnListsNameEveryMeasure() {
        let names = Measure.allCases.map { "\($0.name)" }
        #expect(FigureColumns.list().text == names.joined(separator: ", "))
        #expect(FigureColumns.list("t").text == names.map { "t.\($0)" }.joined(separator: ", "))
        #expect(FigureColumns.prefixed("old_").text == names.map { "old_\($0)" }.joined(separator: ", "))
        #expect(FigureColumns.sums().text == names.map { "sum(\($0))" }.joined(separator: ", "))
        for measure in Measure.allCases {
            let name = "\(measure.name)"
            let type = measure.isAmount ? "numeric" : "bigint"
            #expect(FigureColumns.definitions.text.contains("\(name) \(type) NOT NULL"))
            #expect(FigureColumns.readable("t").text.contains("t.\(name)" + (measure.isAmount ? "::text" : "")))
            #expect(FigureColumns.differ("a", "b").text.contains("a.\(name)"))
            #expect(FigureColumns.assignments(from: "excluded").text.contains("\(name) = excluded.\(name)"))
            #expect(FigureColumns.added(to: "d").text.contains("\(name) = d.\(name) + excluded.\(name)"))
            #expect(FigureColumns.hasLiquidations.text.contains("\(name) = 0"))
            #expect(FigureColumns.anyNegative("x").text.contains("x.\(name) < 0"))
        }
    }

    /// A record that sends each measure its own value is read with each in its place; one that
    /// lacks a measure's field is refused, naming it.
    @Test func theWireDecoderReadsEveryMeasure() throws {
        let fields = Measure.allCases.map { measure in
            switch Self.sample(measure) {
            case .count(let count): "\"\(measure.name)\":\(count)"
            case .amount(let amount): "\"\(measure.name)\":\(amount.text)"
            }
        }
        func decode(_ members: [String]) throws -> WireResponse {
            let body = "{\"data\":[{\"interval_time\":\"2025-03-01T00:00:00Z\",\(members.joined(separator: ",")),"
                + "\"exchanges\":[{\"exchange\":\"bbit\",\(members.joined(separator: ","))}]}]}"
            return try Array(body.utf8).withUnsafeBytes { try WireResponse.parse($0) }
        }
        let page = try decode(fields)
        #expect(page.data.first?.figures == Self.everyMeasure)
        #expect(page.data.first?.exchanges.first?.figures == Self.everyMeasure)
        for (measure, field) in zip(Measure.allCases, fields) {
            let error = try #require(throws: WireShapeError.self) { try decode(fields.filter { $0 != field }) }
            #expect(error.summary.contains("missing field '\(measure.name)'"), "\(error.summary)")
        }
    }

    @Test func theValidatorRefusesANegativeValueOfEveryMeasure() throws {
        for measure in Measure.allCases {
            let fields = Measure.allCases.map { "\"\($0.name)\":\($0 == measure ? "-1" : "0")" }.joined(separator: ",")
            let page = "{\"data\":[{\"interval_time\":\"2025-03-01T00:00:00Z\",\(fields)}]}"
            let record = try #require(try Array(page.utf8).withUnsafeBytes { try WireResponse.parse($0) }.data.first)
            var validator = RecordValidator(
                asset: try AssetCode(validating: "btc"), window: HourWindow(start: hour, end: hour.next))
            let error = try #require(throws: KaikoError.self) { try validator.validate([record]) }
            #expect("\(error)".contains("\(measure.name) is negative"), "\(error)")
        }
    }

    /// An hour whose only change is one measure, in its totals or on an exchange, is a changed hour.
    @Test func theFingerprintSeesEveryMeasure() {
        let base = IntervalRecord(hour: hour, totals: .zero, exchanges: [ExchangeBreakdown(exchange: "bbit", figures: .zero)])
        let empty = HourFingerprint.of(base)
        #expect(empty == HourFingerprint.empty || !base.exchanges.isEmpty)
        var seen: Set<Int64> = [empty]
        for measure in Measure.allCases {
            var totals = base
            totals.totals = Self.only(measure)
            var exchange = base
            exchange.exchanges[0].figures = Self.only(measure)
            #expect(seen.insert(HourFingerprint.of(totals)).inserted, "\(measure.name) in the totals")
            #expect(seen.insert(HourFingerprint.of(exchange)).inserted, "\(measure.name) on an exchange")
        }
    }

    /// A fresh window's day sums hold every measure's sum, for the day and for each exchange,
    /// and the arrays the rollup statements bind carry each of them.
    @Test func theDaySumsAddEveryMeasure() throws {
        let records = [0, 1].map { offset in
            IntervalRecord(
                hour: hour.advanced(by: offset), totals: Self.everyMeasure,
                exchanges: [ExchangeBreakdown(exchange: "bbit", figures: Self.only(.longAmount, offset: offset))])
        }
        let sums = try #require(FreshDaySums(ChangedHours(everyHourOf: HourWindow(start: hour, end: hour.advanced(by: 2)), records: records)))
        let day = try #require(sums.days.first?.sums)
        #expect(day.hoursCovered == 2)
        for measure in Measure.allCases {
            let twice =
                switch Self.sample(measure) {
                case .count(let count): "\(2 * count)"
                case .amount: "\(2 * measure.rawValue + 1).0"
                }
            #expect(day.figures[measure].description == twice, "\(measure.name)")
            let arrays = [day].figureArrays
            #expect(arrays[measure].postgresText == "{\(twice)}", "\(measure.name)")
        }
        let exchange = try #require(sums.exchangeDays.first?.sums)
        #expect(exchange.figures[.longAmount].description == "8.0" && exchange.figures[.totalTrades].description == "0")
        #expect(FigureColumns.arrays([day].figureArrays).count == Measure.allCases.count)
    }

    @Test func theReconcileReportShowsEveryMeasure() throws {
        let text = ReconcileReport.figures(Self.everyMeasure)
        let difference = SourceDifference(
            asset: try AssetCode(validating: "btc"), hour: hour, exchange: nil, kind: .differs, stored: Self.everyMeasure,
            source: .zero)
        var report = Reconciler.Report(asset: try AssetCode(validating: "btc"))
        report.differences = [difference]
        let json = try ReconcileReport.json([report], repaired: false)
        for measure in Measure.allCases {
            let value = Self.sample(measure)
            #expect(text.contains("\(measure.name) \(ReconcileReport.text(value))"), "\(text)")
            #expect(json.contains("\"\(measure.viewColumn)\""), "\(measure.viewColumn) in \(json)")
        }
    }
}
