/// A Swift value that can be sent to PostgreSQL as a statement parameter or a COPY field.
///
/// Values travel in PostgreSQL's text format: it is exact for `numeric` (no binary floating
/// point on the way), readable in logs of the server, and what `COPY ... FROM STDIN` expects.
public protocol PostgresEncodable: Sendable {
    /// The value in PostgreSQL's text input format, or `nil` for SQL `NULL`.
    var postgresText: String? { get }

    /// Appends the value as one field of `COPY ... FROM STDIN` text: `postgresText`, escaped, or
    /// `\N`. A type whose text needs no escaping may write its bytes directly: COPY writes some
    /// 1.6 million integers in the benchmark's backfill (a string for each: 2 % of its CPU).
    func appendCopyField(to buffer: inout [UInt8])
}

extension PostgresEncodable {
    public func appendCopyField(to buffer: inout [UInt8]) {
        PostgresCopyWriter.appendField(postgresText, to: &buffer)
    }
}

/// A Swift value that can be read from a result column in PostgreSQL's text output format.
///
/// The connection pins `DateStyle=ISO` and `TimeZone=UTC`, so the formats decoders see do not
/// depend on the server's or the login's settings.
public protocol PostgresDecodable: Sendable {
    /// Decodes a column value; `text` is `nil` for SQL `NULL`.
    static func decode(postgresText text: String?) throws(PostgresDecodingFailure) -> Self
}

/// Why a column value could not be decoded; the row adds the column and statement.
public enum PostgresDecodingFailure: Error, Sendable, Equatable {
    case unexpectedNull
    case invalidText(String)
}

/// Most types reject NULL; `Optional` overrides this to map it to `nil`.
public protocol PostgresNonNullDecodable: PostgresDecodable {
    init?(nonNullPostgresText text: String)
}

extension PostgresNonNullDecodable {
    public static func decode(postgresText text: String?) throws(PostgresDecodingFailure) -> Self {
        guard let text else { throw .unexpectedNull }
        guard let value = Self(nonNullPostgresText: text) else { throw .invalidText(text) }
        return value
    }
}

extension Optional: PostgresEncodable where Wrapped: PostgresEncodable {
    public var postgresText: String? { self?.postgresText }

    public func appendCopyField(to buffer: inout [UInt8]) {
        if let self { self.appendCopyField(to: &buffer) } else { PostgresCopyWriter.appendField(nil, to: &buffer) }
    }
}

extension Optional: PostgresDecodable where Wrapped: PostgresDecodable {
    public static func decode(postgresText text: String?) throws(PostgresDecodingFailure) -> Self {
        guard let text else { return nil }
        return try Wrapped.decode(postgresText: text)
    }
}
