/// The six figures of an hour, or of one exchange in it, defined once: their names (the API's
/// field, the tables' column) and their kind. Every list of figures (COPY columns and rows,
/// merges, revision diffs, sums, comparisons, checks, reports, the wire decoder) derives from
/// `allCases`, in this order, through the exhaustive switches here, in `PerMeasure` and in
/// `LiquidationFigures`: a new case fails to compile until each of them knows it, and then every
/// list has it. The tests tie each derived list to `allCases` (`MeasureDerivationTests`).
/// Adding a measure is a case here, its stored property in `PerMeasure` and
/// `LiquidationFigures`, a migration with its views, and the docs (docs/architecture.md).
public enum Measure: Int, CaseIterable, Sendable {
    case totalTrades, totalAmount, longTrades, longAmount, shortTrades, shortAmount

    /// The API's field and the tables' column: `total_trades`, `long_amount`, ...
    @inlinable
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
    @inlinable
    public var isAmount: Bool {
        switch self {
        case .totalTrades, .longTrades, .shortTrades: false
        case .totalAmount, .longAmount, .shortAmount: true
        }
    }

    /// The column in the analysts' views: an amount's name says its unit (`total_amount_usd`).
    public var viewColumn: String {
        isAmount ? "\(name)_usd" : "\(name)"
    }
}

/// One value per measure, held inline (no allocation): a table the code fills and reads by
/// `Measure`, so that what it holds follows `Measure.allCases` by construction. Inlinable: the
/// decoder and the writer use it for every hour and exchange, and a generic table read across
/// modules unspecialized costs a metadata lookup and a witness call per value.
public struct PerMeasure<Value> {
    @usableFromInline var totalTrades: Value
    @usableFromInline var totalAmount: Value
    @usableFromInline var longTrades: Value
    @usableFromInline var longAmount: Value
    @usableFromInline var shortTrades: Value
    @usableFromInline var shortAmount: Value

    /// Each measure's value, made in `Measure.allCases` order.
    @inlinable
    public init(_ make: (Measure) throws -> Value) rethrows {
        totalTrades = try make(.totalTrades)
        totalAmount = try make(.totalAmount)
        longTrades = try make(.longTrades)
        longAmount = try make(.longAmount)
        shortTrades = try make(.shortTrades)
        shortAmount = try make(.shortAmount)
    }

    @inlinable
    public init(repeating value: Value) {
        self.init { _ in value }
    }

    @inlinable
    public subscript(measure: Measure) -> Value {
        get {
            switch measure {
            case .totalTrades: totalTrades
            case .totalAmount: totalAmount
            case .longTrades: longTrades
            case .longAmount: longAmount
            case .shortTrades: shortTrades
            case .shortAmount: shortAmount
            }
        }
        set {
            switch measure {
            case .totalTrades: totalTrades = newValue
            case .totalAmount: totalAmount = newValue
            case .longTrades: longTrades = newValue
            case .longAmount: longAmount = newValue
            case .shortTrades: shortTrades = newValue
            case .shortAmount: shortAmount = newValue
            }
        }
    }

    /// Runs `body` on one measure's value in place.
    @inlinable
    public mutating func modify<Result>(_ measure: Measure, _ body: (inout Value) throws -> Result) rethrows -> Result {
        switch measure {
        case .totalTrades: try body(&totalTrades)
        case .totalAmount: try body(&totalAmount)
        case .longTrades: try body(&longTrades)
        case .longAmount: try body(&longAmount)
        case .shortTrades: try body(&shortTrades)
        case .shortAmount: try body(&shortAmount)
        }
    }

    /// The values in `Measure.allCases` order.
    public var values: [Value] { Measure.allCases.map { self[$0] } }
}

extension PerMeasure: Sendable where Value: Sendable {}
extension PerMeasure: Equatable where Value: Equatable {}

/// One figure's value: a count or an amount, as `Measure.isAmount` says.
public enum FigureValue: Sendable, Equatable {
    case count(Int64)
    case amount(DecimalAmount)

    @inlinable
    public var isZero: Bool {
        switch self {
        case .count(let count): count == 0
        case .amount(let amount): amount.isZero
        }
    }
}

extension LiquidationFigures {
    /// The value of one measure.
    @inlinable
    public subscript(measure: Measure) -> FigureValue {
        get {
            switch measure {
            case .totalTrades: .count(totalTrades)
            case .totalAmount: .amount(totalAmount)
            case .longTrades: .count(longTrades)
            case .longAmount: .amount(longAmount)
            case .shortTrades: .count(shortTrades)
            case .shortAmount: .amount(shortAmount)
            }
        }
        set {
            switch (measure, newValue) {
            case (.totalTrades, .count(let count)): totalTrades = count
            case (.totalAmount, .amount(let amount)): totalAmount = amount
            case (.longTrades, .count(let count)): longTrades = count
            case (.longAmount, .amount(let amount)): longAmount = amount
            case (.shortTrades, .count(let count)): shortTrades = count
            case (.shortAmount, .amount(let amount)): shortAmount = amount
            default: preconditionFailure("\(measure.name) is \(measure.isAmount ? "an amount" : "a count"), not \(newValue)")
            }
        }
    }

    /// Figures from one value per measure, in `Measure.allCases` order; nil when a value is of
    /// the wrong kind for its measure.
    public init?(values: [FigureValue]) {
        guard values.count == Measure.allCases.count else { return nil }
        var figures = LiquidationFigures.zero
        for (measure, value) in zip(Measure.allCases, values) {
            switch value {
            case .count where measure.isAmount, .amount where !measure.isAmount: return nil
            default: figures[measure] = value
            }
        }
        self = figures
    }

    /// Figures from each measure's value.
    public init(_ values: PerMeasure<FigureValue>) {
        self = .zero
        for measure in Measure.allCases { self[measure] = values[measure] }
    }
}
