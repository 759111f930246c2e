extension Double: PostgresEncodable, PostgresNonNullDecodable {
    /// Swift prints the shortest text that reads back as the same `Double`; PostgreSQL 12+ does
    /// the same for `float8` output, so a round trip is exact. Infinities and NaN use the
    /// spellings PostgreSQL accepts.
    public var postgresText: String? {
        if isNaN { return "NaN" }
        if isInfinite { return self < 0 ? "-Infinity" : "Infinity" }
        return description
    }

    public init?(nonNullPostgresText text: String) {
        switch text {
        case "NaN": self = .nan
        case "Infinity": self = .infinity
        case "-Infinity": self = -.infinity
        default: self.init(text)
        }
    }
}
