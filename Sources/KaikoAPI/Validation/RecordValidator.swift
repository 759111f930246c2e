import LiquidationModel

/// Checks every record of a window against the request that asked for it and turns the wire
/// form into `IntervalRecord`s. Pure logic: no I/O, unit-tested on crafted pages.
struct RecordValidator {
    let asset: AssetCode
    let window: HourWindow
    private(set) var seenHours: Set<UTCHour> = []

    init(asset: AssetCode, window: HourWindow) {
        self.asset = asset
        self.window = window
    }

    mutating func validate(_ records: [WireRecord]) throws(KaikoError) -> [IntervalRecord] {
        var validated: [IntervalRecord] = []
        validated.reserveCapacity(records.count)
        for record in records {
            do {
                validated.append(try validate(record))
            } catch {
                throw .invalidRecord(asset: asset, window: window, problem: error)
            }
        }
        return validated
    }

    private mutating func validate(_ record: WireRecord) throws(RecordProblem) -> IntervalRecord {
        let start = try Self.intervalStart(of: record)
        guard let hour = UTCHour(exactly: start) else { throw .notHourAligned(UTCTimestamp.format(secondsSinceEpoch: start)) }
        guard window.contains(hour) else { throw .outsideWindow(hour) }
        guard seenHours.insert(hour).inserted else { throw .duplicateHour(hour) }

        let totals = record.figures
        try Self.check(totals, hour: hour, exchange: nil)
        var exchanges: [ExchangeBreakdown] = []
        exchanges.reserveCapacity(record.exchanges.count)
        for exchange in record.exchanges {
            guard !exchange.exchange.isEmpty else { throw .emptyExchangeCode(hour) }
            // An hour lists a handful of exchanges: a scan beats building a set per hour.
            guard !exchanges.contains(where: { $0.exchange == exchange.exchange }) else {
                throw .duplicateExchange(hour, exchange: exchange.exchange)
            }
            let figures = exchange.figures
            try Self.check(figures, hour: hour, exchange: exchange.exchange)
            exchanges.append(ExchangeBreakdown(exchange: exchange.exchange, figures: figures))
        }
        return IntervalRecord(hour: hour, totals: totals, exchanges: exchanges)
    }

    private static func check(_ figures: LiquidationFigures, hour: UTCHour, exchange: String?) throws(RecordProblem) {
        func field(_ measure: Measure) -> String { exchange.map { "\($0).\(measure.name)" } ?? "\(measure.name)" }
        // No figure is negative; the field is named only for an error.
        for measure in Measure.allCases {
            switch figures[measure] {
            case .count(let count) where count < 0: throw .negativeCount(hour, field: field(measure), value: count)
            case .amount(let amount) where amount.isNegative:
                throw .negativeAmount(hour, field: field(measure), value: amount.text)
            default: continue
            }
        }
        // The sides add up to the total (a rule of these three measures, not of every one).
        let (sum, overflow) = figures.longTrades.addingReportingOverflow(figures.shortTrades)
        guard !overflow, sum == figures.totalTrades else {
            throw .tradesDoNotAddUp(
                hour, exchange: exchange, long: figures.longTrades, short: figures.shortTrades, total: figures.totalTrades)
        }
    }

    /// Seconds since the epoch at which the record's interval starts.
    ///
    /// `interval_timestamp` is documented in milliseconds but the example is in nanoseconds;
    /// its unit is decided by magnitude (s, ms, µs or ns) and it must agree with
    /// `interval_time` when both are present.
    static func intervalStart(of record: WireRecord) throws(RecordProblem) -> Int64 {
        var fromTime: Int64?
        if let text = record.intervalTime {
            do {
                fromTime = try UTCTimestamp.parse(text)
            } catch {
                throw .unreadableTime(text)
            }
            // `parse` drops fractions of a second; an interval at 10:00:00.5 is not an hour.
            if let dot = text.firstIndex(of: "."),
               text[text.index(after: dot)...].prefix(while: \.isNumber).contains(where: { $0 != "0" })
            {
                throw .notHourAligned(text)
            }
        }
        var fromStamp: Int64?
        if let stamp = record.intervalTimestamp {
            let magnitude = stamp.magnitude
            let divisor: Int64 =
                magnitude >= 100_000_000_000_000_000 ? 1_000_000_000
                : magnitude >= 100_000_000_000_000 ? 1_000_000
                : magnitude >= 100_000_000_000 ? 1_000 : 1
            guard stamp % divisor == 0 else {
                throw .notHourAligned(record.intervalTime ?? String(stamp))
            }
            fromStamp = stamp / divisor
        }
        switch (fromTime, fromStamp) {
        case let (time?, stamp?):
            guard time == stamp else {
                throw .timestampMismatch(intervalTime: record.intervalTime ?? "", intervalTimestamp: record.intervalTimestamp ?? 0)
            }
            return time
        case let (time?, nil): return time
        case let (nil, stamp?): return stamp
        case (nil, nil): throw .missingTime
        }
    }
}
