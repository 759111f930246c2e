/// Counts and USD values of liquidations over one interval: in total, or on one exchange.
public struct LiquidationFigures: Hashable, Sendable {
    public var totalTrades: Int64
    public var totalAmount: DecimalAmount
    public var longTrades: Int64
    public var longAmount: DecimalAmount
    public var shortTrades: Int64
    public var shortAmount: DecimalAmount

    public init(
        totalTrades: Int64, totalAmount: DecimalAmount, longTrades: Int64, longAmount: DecimalAmount,
        shortTrades: Int64, shortAmount: DecimalAmount
    ) {
        self.totalTrades = totalTrades
        self.totalAmount = totalAmount
        self.longTrades = longTrades
        self.longAmount = longAmount
        self.shortTrades = shortTrades
        self.shortAmount = shortAmount
    }

    /// No trade and no amount.
    @inlinable
    public var isZero: Bool {
        Measure.allCases.allSatisfy { self[$0].isZero }
    }

    /// An hour in which nothing was liquidated.
    public static let zero = LiquidationFigures(
        totalTrades: 0, totalAmount: .zero, longTrades: 0, longAmount: .zero, shortTrades: 0, shortAmount: .zero)
}

/// One exchange's share of an hour.
public struct ExchangeBreakdown: Hashable, Sendable {
    /// Kaiko's exchange code, e.g. `bbit`, `okex`, `binc`.
    public var exchange: String
    public var figures: LiquidationFigures

    public init(exchange: String, figures: LiquidationFigures) {
        self.exchange = exchange
        self.figures = figures
    }
}

/// One hour of one asset as the API reported it: totals and the per-exchange breakdown.
public struct IntervalRecord: Hashable, Sendable {
    public var hour: UTCHour
    public var totals: LiquidationFigures
    public var exchanges: [ExchangeBreakdown]

    public init(hour: UTCHour, totals: LiquidationFigures, exchanges: [ExchangeBreakdown]) {
        self.hour = hour
        self.totals = totals
        self.exchanges = exchanges
    }

    /// Nothing liquidated, by the totals (what the views sum), whatever exchange entries it
    /// lists: an hour the API leaves out is stored as such, and a stored hour counts as empty by
    /// the same rule.
    public var isEmpty: Bool { totals.isZero }
}
