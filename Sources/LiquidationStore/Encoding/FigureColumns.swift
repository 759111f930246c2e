import LiquidationModel
import Postgres

/// The SQL every statement about figures needs, derived from `Measure`: column lists, the
/// comparison of two rows' figures, assignments, COPY fields and decoding. A statement names
/// "the figures" once through these, never the six columns by hand.
enum FigureColumns {
    /// `t.total_trades, t.total_amount, ...` (no alias: bare names).
    static func list(_ alias: StaticString? = nil) -> SQLFragment {
        SQLFragment(joining: Measure.allCases.map { column($0, alias) }, separator: ", ")
    }

    /// `old_total_trades, old_total_amount, ...`: the columns of the revision log.
    static func prefixed(_ prefix: StaticString) -> SQLFragment {
        SQLFragment(joining: Measure.allCases.map { SQLFragment(prefix) + SQLFragment($0.name) }, separator: ", ")
    }

    /// The figures to decode with `LiquidationFigures(row:from:)`: amounts as text, exact.
    static func readable(_ alias: StaticString) -> SQLFragment {
        SQLFragment(joining: Measure.allCases.map { column($0, alias) + ($0.isAmount ? SQLFragment("::text") : SQLFragment("")) },
                    separator: ", ")
    }

    /// `(a.total_trades, ...) IS DISTINCT FROM (b.total_trades, ...)`: the figures differ as
    /// numbers (`1.50` equals `1.5`).
    static func differ(_ a: StaticString, _ b: StaticString) -> SQLFragment {
        SQLFragment("(") + list(a) + SQLFragment(") IS DISTINCT FROM (") + list(b) + SQLFragment(")")
    }

    /// `sum(total_trades), sum(total_amount), ...`: a rollup's sums, in `list()` order.
    static func sums() -> SQLFragment {
        SQLFragment(joining: Measure.allCases.map { SQLFragment("sum(") + SQLFragment($0.name) + SQLFragment(")") },
                    separator: ", ")
    }

    /// `total_trades = excluded.total_trades, ...`: an upsert's update of the figures.
    static func assignments(from source: StaticString) -> SQLFragment {
        SQLFragment(joining: Measure.allCases.map { SQLFragment($0.name) + SQLFragment(" = ") + column($0, source) },
                    separator: ", ")
    }

    /// `total_trades = d.total_trades + excluded.total_trades, ...`: an upsert that adds.
    static func added(to target: StaticString) -> SQLFragment {
        SQLFragment(joining: Measure.allCases.map { measure in
            SQLFragment(measure.name) + SQLFragment(" = ") + column(measure, target) + SQLFragment(" + ")
                + column(measure, "excluded")
        }, separator: ", ")
    }

    /// `total_trades bigint NOT NULL, total_amount numeric NOT NULL, ...`: a staging table's.
    static let definitions = SQLFragment(joining: Measure.allCases.map { measure in
        SQLFragment(measure.name) + SQLFragment(" ") + type(measure) + SQLFragment(" NOT NULL")
    }, separator: ", ")

    /// A measure's column type: `numeric` for an amount, `bigint` for a count.
    static func type(_ measure: Measure) -> SQLFragment {
        measure.isAmount ? SQLFragment("numeric") : SQLFragment("bigint")
    }

    /// Each measure's array bound with its cast (`$4::bigint[], $5::numeric[], ...`), in
    /// `list()` order: the figure columns of an `unnest`.
    static func arrays<Array: PostgresEncodable>(_ arrays: PerMeasure<Array>) -> [(Array, SQLFragment)] {
        Measure.allCases.map { (arrays[$0], SQLFragment("::") + type($0) + SQLFragment("[]")) }
    }

    /// `(x.total_trades < 0 OR ...)`: a figure is negative.
    static func anyNegative(_ alias: StaticString) -> SQLFragment {
        SQLFragment("(") + SQLFragment(joining: Measure.allCases.map { column($0, alias) + SQLFragment(" < 0") }, separator: " OR ")
            + SQLFragment(")")
    }

    /// A stored row has liquidations: not all its figures are zero (the SQL twin of
    /// `IntervalRecord.isEmpty`, see `EmptinessGuard`).
    static let hasLiquidations = SQLFragment("NOT (")
        + SQLFragment(joining: Measure.allCases.map { SQLFragment($0.name) + SQLFragment(" = 0") }, separator: " AND ")
        + SQLFragment(")")

    private static func column(_ measure: Measure, _ alias: StaticString?) -> SQLFragment {
        guard let alias else { return SQLFragment(measure.name) }
        return SQLFragment(alias) + SQLFragment(".") + SQLFragment(measure.name)
    }
}

extension PostgresCopyWriter {
    /// The six figures as COPY fields, in `FigureColumns.list()` order.
    mutating func append(_ figures: LiquidationFigures) {
        for measure in Measure.allCases {
            switch figures[measure] {
            case .count(let count): append(count)
            case .amount(let amount): append(amount)
            }
        }
    }
}

extension LiquidationFigures {
    /// The figures of `FigureColumns.readable` at `index`, or nil when the first is NULL (the
    /// side of a comparison that has no row).
    init?(row: PostgresRow, from index: Int) throws {
        guard try row.decode(Int64?.self, at: index) != nil else { return nil }
        let values = try Measure.allCases.map { measure -> FigureValue in
            let column = index + measure.rawValue
            guard measure.isAmount else { return .count(try row.decode(Int64.self, at: column)) }
            let text = try row.decode(String.self, at: column)
            guard let amount = DecimalAmount(text) else {
                throw PostgresError(code: .decoding, message: "'\(text)' is not a decimal amount")
            }
            return .amount(amount)
        }
        self.init(values: values)
    }
}
