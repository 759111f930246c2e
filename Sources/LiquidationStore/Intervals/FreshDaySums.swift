import LiquidationModel

/// What a freshly copied window adds to the daily rollups, summed by liqsync from the records it
/// has just copied: per UTC day, and per UTC day and exchange. A fresh window had no stored hour,
/// so each day's rollup afterwards is what it was (the day's hours outside the window) plus these
/// sums, exactly; PostgreSQL then adds small arrays instead of reading back and grouping the rows
/// it was just sent. Nil where an amount or a sum needs more than 38 digits, or a count more than
/// 64 bits: the caller sums those days in PostgreSQL (`DailyRollup.refresh`).
struct FreshDaySums {
    struct Sums {
        var hoursCovered: Int32 = 0
        /// Each measure's sum over the hours added.
        private(set) var figures = PerMeasure { measure in measure.isAmount ? FigureSum.amount(.zero) : .count(0) }

        /// Adds one hour's figures (`FigureSum.of`); false where a sum would not be exact.
        mutating func add(_ hour: PerMeasure<FigureSum>) -> Bool {
            var sums = figures
            for measure in Measure.allCases {
                guard let sum = sums[measure].adding(hour[measure]) else { return false }
                sums[measure] = sum
            }
            figures = sums
            hoursCovered += 1
            return true
        }
    }

    struct Day {
        let day: UTCHour
        var sums = Sums()
        /// The day's largest hourly total.
        var largestHour: FixedPointAmount
    }

    struct ExchangeDay {
        let day: UTCHour
        let exchange: String
        var sums = Sums()
    }

    /// The window's days in order, with the sums of their hours' totals.
    private(set) var days: [Day] = []
    /// Each day's sums per exchange, the days in order.
    private(set) var exchangeDays: [ExchangeDay] = []

    init?(_ changed: ChangedHours) {
        var firstOfDay = 0  // where the current day's exchanges start in `exchangeDays`
        for (hour, _) in changed.hours {
            let day = DailyRollup.startOfDay(hour)
            let record = changed.records[hour]
            guard let figures = FigureSum.of(record?.totals ?? .zero), case .amount(let total) = figures[.totalAmount] else {
                return nil
            }
            if days.last?.day != day {
                days.append(Day(day: day, largestHour: total))
                firstOfDay = exchangeDays.count
            }
            // The later of equal hours, as PostgreSQL's max keeps when it reads the day in order.
            guard days[days.count - 1].sums.add(figures),
                  let order = FixedPointAmount.compare(total, days[days.count - 1].largestHour)
            else { return nil }
            if order >= 0 { days[days.count - 1].largestHour = total }

            for exchange in record?.exchanges ?? [] {
                // A day has a handful of exchanges: a scan beats hashing each row's code.
                var slot = firstOfDay
                while slot < exchangeDays.count && exchangeDays[slot].exchange != exchange.exchange { slot += 1 }
                if slot == exchangeDays.count { exchangeDays.append(ExchangeDay(day: day, exchange: exchange.exchange)) }
                guard let figures = FigureSum.of(exchange.figures), exchangeDays[slot].sums.add(figures) else { return nil }
            }
        }
    }
}

/// A sum of one measure: a count in 64 bits (a `bigint` column), an amount in exact fixed point.
enum FigureSum: Sendable, Equatable {
    case count(Int64)
    case amount(FixedPointAmount)

    /// One hour's figures as the first terms of sums; nil where an amount needs more than 38 digits.
    static func of(_ figures: LiquidationFigures) -> PerMeasure<FigureSum>? {
        try? PerMeasure { measure throws(NotSummable) -> FigureSum in
            switch figures[measure] {
            case .count(let count): return .count(count)
            case .amount(let amount):
                guard let exact = FixedPointAmount(amount) else { throw NotSummable() }
                return .amount(exact)
            }
        }
    }

    private struct NotSummable: Error {}

    /// The sum with `other` (of the same measure); nil where it would not be exact.
    func adding(_ other: FigureSum) -> FigureSum? {
        switch (self, other) {
        case (.count(let count), .count(let more)):
            let (sum, overflow) = count.addingReportingOverflow(more)
            return overflow ? nil : .count(sum)
        case (.amount(var amount), .amount(let more)):
            return amount.add(more) ? .amount(amount) : nil
        default:
            return nil
        }
    }

    func appendText(to bytes: inout [UInt8]) {
        switch self {
        case .count(let count): bytes.append(contentsOf: count.description.utf8)
        case .amount(let amount): amount.appendText(to: &bytes)
        }
    }
}

extension [FreshDaySums.Sums] {
    /// Each measure's sums as an array, element by element in this array's order.
    var figureArrays: PerMeasure<ArrayLiteral> {
        PerMeasure { measure in
            ArrayLiteral(self) { sums, bytes in sums.figures[measure].appendText(to: &bytes) }
        }
    }
}
