/// The six figures of an hour, or of one exchange in it, defined once: their names (the API's
/// field, the tables' column) and their kind. Every list of figures (COPY columns and rows,
/// merges, revision diffs, comparisons, checks, the wire decoder) derives from `allCases`, in
/// this order; adding a measure is a case here, a migration and a view.
public enum Measure: Int, CaseIterable, Sendable {
    case totalTrades, totalAmount, longTrades, longAmount, shortTrades, shortAmount

    /// The API's field and the tables' column: `total_trades`, `long_amount`, ...
    public var name: StaticString {
        switch self {
        case .totalTrades: "total_trades"
        case .totalAmount: "total_amount"
        case .longTrades: "long_trades"
        case .longAmount: "long_amount"
        case .shortTrades: "short_trades"
        case .shortAmount: "short_amount"
        }
    }

    /// A USD amount (`numeric`), or else a count of liquidations (`bigint`).
    public var isAmount: Bool { rawValue % 2 == 1 }
}

/// One figure's value: a count or an amount, as `Measure.isAmount` says.
public enum FigureValue: Sendable, Equatable {
    case count(Int64)
    case amount(DecimalAmount)
}

extension LiquidationFigures {
    /// The value of one measure.
    public subscript(measure: Measure) -> FigureValue {
        switch measure {
        case .totalTrades: .count(totalTrades)
        case .totalAmount: .amount(totalAmount)
        case .longTrades: .count(longTrades)
        case .longAmount: .amount(longAmount)
        case .shortTrades: .count(shortTrades)
        case .shortAmount: .amount(shortAmount)
        }
    }

    /// Figures from one value per measure, in `Measure.allCases` order; nil when a value is of
    /// the wrong kind for its measure.
    public init?(values: [FigureValue]) {
        guard values.count == Measure.allCases.count else { return nil }
        var counts: [Int64] = []
        var amounts: [DecimalAmount] = []
        for (measure, value) in zip(Measure.allCases, values) {
            switch (value, measure.isAmount) {
            case (.count(let count), false): counts.append(count)
            case (.amount(let amount), true): amounts.append(amount)
            default: return nil
            }
        }
        self.init(
            totalTrades: counts[0], totalAmount: amounts[0], longTrades: counts[1], longAmount: amounts[1],
            shortTrades: counts[2], shortAmount: amounts[2])
    }
}
