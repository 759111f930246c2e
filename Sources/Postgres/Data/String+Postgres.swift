extension String: PostgresEncodable, PostgresNonNullDecodable {
    public var postgresText: String? { self }
    public init?(nonNullPostgresText text: String) { self = text }
}

extension Substring: PostgresEncodable {
    public var postgresText: String? { String(self) }
}
