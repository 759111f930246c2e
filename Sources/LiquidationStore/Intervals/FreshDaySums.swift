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
        /// Each measure's sum over the hours added (a count's at scale 0).
        private(set) var figures = PerMeasure(repeating: FixedPointAmount.zero)

        /// Adds one hour's figures; false where a sum would not be exact (an amount or a sum
        /// beyond 38 digits, a count's sum beyond 64 bits), and the window is then left to
        /// PostgreSQL.
        mutating func add(_ hour: LiquidationFigures) -> Bool {
            for measure in Measure.allCases {
                let term: FixedPointAmount
                switch hour[measure] {
                case .count(let count): term = FixedPointAmount(count: count)
                case .amount(let amount):
                    guard let exact = FixedPointAmount(amount) else { return false }
                    term = exact
                }
                guard figures.modify(measure, { sum in sum.add(term) && (measure.isAmount || sum.count != nil) }) else {
                    return false
                }
            }
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
            let totals = record?.totals ?? .zero
            guard let total = FixedPointAmount(totals.totalAmount) else { return nil }
            if days.last?.day != day {
                days.append(Day(day: day, largestHour: total))
                firstOfDay = exchangeDays.count
            }
            // The later of equal hours, as PostgreSQL's max keeps when it reads the day in order.
            guard days[days.count - 1].sums.add(totals),
                  let order = FixedPointAmount.compare(total, days[days.count - 1].largestHour)
            else { return nil }
            if order >= 0 { days[days.count - 1].largestHour = total }

            for exchange in record?.exchanges ?? [] {
                // A day has a handful of exchanges: a scan beats hashing each row's code.
                var slot = firstOfDay
                while slot < exchangeDays.count && exchangeDays[slot].exchange != exchange.exchange { slot += 1 }
                if slot == exchangeDays.count { exchangeDays.append(ExchangeDay(day: day, exchange: exchange.exchange)) }
                guard exchangeDays[slot].sums.add(exchange.figures) else { return nil }
            }
        }
    }
}

extension [FreshDaySums.Sums] {
    /// Each measure's sums as an array, element by element in this array's order.
    var figureArrays: PerMeasure<ArrayLiteral> {
        PerMeasure { measure in ArrayLiteral(lazy.map { $0.figures[measure] }) }
    }
}
