/// A statement and its parameters, built by string interpolation: every interpolated value
/// becomes a `$n` placeholder and a bind, so a value can never change the statement's meaning.
///
/// ```swift
/// let query: PostgresQuery = "SELECT watermark FROM liquidations.asset WHERE asset = \(code)"
/// ```
///
/// Identifiers that are not values (a schema name chosen by the program) go in with
/// `\(identifier:)`, which quotes them.
public struct PostgresQuery: Sendable, ExpressibleByStringInterpolation {
    public var sql: String
    public var binds: [String?]
    /// A short name for logs and errors (e.g. `assets.add`); defaults to the SQL's first words.
    public var name: String?

    public init(unsafeSQL sql: String, binds: [String?] = [], name: String? = nil) {
        self.sql = sql
        self.binds = binds
        self.name = name
    }

    public init(stringLiteral value: String) {
        self.init(unsafeSQL: value)
    }

    public init(stringInterpolation: StringInterpolation) {
        self.init(unsafeSQL: stringInterpolation.sql, binds: stringInterpolation.binds)
    }

    /// The same query with a name for errors and logs.
    public func named(_ name: String) -> PostgresQuery {
        var copy = self
        copy.name = name
        return copy
    }

    /// The name, or the statement's leading words, for error messages.
    public var label: String {
        if let name { return name }
        let words = sql.split(whereSeparator: \.isWhitespace).prefix(4)
        return words.joined(separator: " ")
    }

    public struct StringInterpolation: StringInterpolationProtocol {
        var sql = ""
        var binds: [String?] = []

        public init(literalCapacity: Int, interpolationCount: Int) {
            sql.reserveCapacity(literalCapacity + interpolationCount * 3)
            binds.reserveCapacity(interpolationCount)
        }

        public mutating func appendLiteral(_ literal: String) {
            sql += literal
        }

        public mutating func appendInterpolation(_ value: some PostgresEncodable) {
            binds.append(value.postgresText)
            sql += "$\(binds.count)"
        }

        /// An optional value: `nil` binds SQL `NULL`.
        public mutating func appendInterpolation<Value: PostgresEncodable>(_ value: Value?) {
            binds.append(value?.postgresText)
            sql += "$\(binds.count)"
        }

        /// A fixed SQL fragment written in the program (a `StaticString`, so never data), for a
        /// condition a statement repeats.
        public mutating func appendInterpolation(sql fragment: StaticString) {
            sql += fragment.description
        }

        /// A fragment the program composed from its own literals (`SQLFragment`): a column list
        /// derived from one definition, say. Never data.
        public mutating func appendInterpolation(sql fragment: SQLFragment) {
            sql += fragment.text
        }

        /// Several values, each bound and followed by its fragment (a cast, say), `separator`
        /// between them: `$3::bigint[], $4::numeric[]`. For a list of values derived from one
        /// definition, whatever its length.
        public mutating func appendInterpolation<Value: PostgresEncodable>(
            each values: [(Value, SQLFragment)], separator: StaticString
        ) {
            for (offset, (value, fragment)) in values.enumerated() {
                if offset > 0 { sql += separator.description }
                appendInterpolation(value)
                sql += fragment.text
            }
        }

        /// A quoted identifier (`"name"`), for names chosen by the program, not by users.
        public mutating func appendInterpolation(identifier: String) {
            sql += "\"" + identifier.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
    }
}

extension String {
    fileprivate func replacingOccurrences(of target: String, with replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}

/// SQL text composed only from the program's own `StaticString` literals, so it can never carry
/// data: what one definition (the figures' column names) expands to in many statements.
public struct SQLFragment: Sendable, CustomStringConvertible {
    public let text: String

    public init(_ literal: StaticString) {
        text = literal.description
    }

    private init(text: String) {
        self.text = text
    }

    /// The fragments in order, `separator` between them.
    public init(joining fragments: [SQLFragment], separator: StaticString) {
        text = fragments.map(\.text).joined(separator: separator.description)
    }

    public static func + (lhs: SQLFragment, rhs: SQLFragment) -> SQLFragment {
        SQLFragment(text: lhs.text + rhs.text)
    }

    public var description: String { text }
}
