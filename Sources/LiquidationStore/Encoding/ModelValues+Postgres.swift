import LiquidationModel
import Postgres

extension UTCHour: PostgresEncodable, PostgresNonNullDecodable {
    public var postgresText: String? { description }

    /// Only an exact hour decodes; anything else means the data is not what we wrote.
    public init?(nonNullPostgresText text: String) {
        guard let micros = PostgresTimestamp.parse(text), micros % 1_000_000 == 0 else { return nil }
        self.init(exactly: micros / 1_000_000)
    }
}

extension AssetCode: PostgresEncodable, PostgresNonNullDecodable {
    public var postgresText: String? { rawValue }

    public init?(nonNullPostgresText text: String) {
        try? self.init(validating: text)
    }
}

extension DecimalAmount: PostgresEncodable {
    /// Handed to `numeric` as the exact text the API sent.
    public var postgresText: String? { text }

    /// The text's bytes, as they are: a decimal literal has nothing COPY would escape.
    public func appendCopyField(to buffer: inout [UInt8]) {
        appendUTF8(to: &buffer)
    }
}

extension FixedPointAmount: PostgresEncodable {
    /// Handed to `numeric` with its scale, as PostgreSQL's own sum would print it.
    public var postgresText: String? { description }
}
