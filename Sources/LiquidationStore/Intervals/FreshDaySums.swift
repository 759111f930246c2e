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
        var totalTrades: Int64 = 0
        var totalAmount = FixedPointAmount.zero
        var longTrades: Int64 = 0
        var longAmount = FixedPointAmount.zero
        var shortTrades: Int64 = 0
        var shortAmount = FixedPointAmount.zero

        /// Adds one hour's figures; false where a sum would not be exact.
        mutating func add(_ figures: LiquidationFigures, totalAmount total: FixedPointAmount) -> Bool {
            guard let long = FixedPointAmount(figures.longAmount), let short = FixedPointAmount(figures.shortAmount) else {
                return false
            }
            let (totalTrades, o1) = self.totalTrades.addingReportingOverflow(figures.totalTrades)
            let (longTrades, o2) = self.longTrades.addingReportingOverflow(figures.longTrades)
            let (shortTrades, o3) = self.shortTrades.addingReportingOverflow(figures.shortTrades)
            guard !o1, !o2, !o3, totalAmount.add(total), longAmount.add(long), shortAmount.add(short) else { return false }
            self.totalTrades = totalTrades
            self.longTrades = longTrades
            self.shortTrades = shortTrades
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
            let figures = record?.totals ?? .zero
            guard let total = FixedPointAmount(figures.totalAmount) else { return nil }
            if days.last?.day != day {
                days.append(Day(day: day, largestHour: total))
                firstOfDay = exchangeDays.count
            }
            // The later of equal hours, as PostgreSQL's max keeps when it reads the day in order.
            guard days[days.count - 1].sums.add(figures, totalAmount: total),
                  let order = FixedPointAmount.compare(total, days[days.count - 1].largestHour)
            else { return nil }
            if order >= 0 { days[days.count - 1].largestHour = total }

            for exchange in record?.exchanges ?? [] {
                // A day has a handful of exchanges: a scan beats hashing each row's code.
                var slot = firstOfDay
                while slot < exchangeDays.count && exchangeDays[slot].exchange != exchange.exchange { slot += 1 }
                if slot == exchangeDays.count { exchangeDays.append(ExchangeDay(day: day, exchange: exchange.exchange)) }
                guard let total = FixedPointAmount(exchange.figures.totalAmount),
                      exchangeDays[slot].sums.add(exchange.figures, totalAmount: total)
                else { return nil }
            }
        }
    }
}

extension [FreshDaySums.Sums] {
    /// The six figure columns as arrays, in `FigureColumns.list()` order.
    var figureArrays: (ArrayLiteral, ArrayLiteral, ArrayLiteral, ArrayLiteral, ArrayLiteral, ArrayLiteral) {
        (
            ArrayLiteral(lazy.map(\.totalTrades)), ArrayLiteral(lazy.map(\.totalAmount)),
            ArrayLiteral(lazy.map(\.longTrades)), ArrayLiteral(lazy.map(\.longAmount)),
            ArrayLiteral(lazy.map(\.shortTrades)), ArrayLiteral(lazy.map(\.shortAmount))
        )
    }
}
