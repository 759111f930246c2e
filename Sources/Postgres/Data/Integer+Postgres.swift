extension Int64: PostgresEncodable, PostgresNonNullDecodable {
    public var postgresText: String? { String(self) }
    public init?(nonNullPostgresText text: String) { self.init(text) }
}

extension Int32: PostgresEncodable, PostgresNonNullDecodable {
    public var postgresText: String? { String(self) }
    public init?(nonNullPostgresText text: String) { self.init(text) }
}

extension Int16: PostgresEncodable, PostgresNonNullDecodable {
    public var postgresText: String? { String(self) }
    public init?(nonNullPostgresText text: String) { self.init(text) }
}

extension Int: PostgresEncodable, PostgresNonNullDecodable {
    public var postgresText: String? { String(self) }
    public init?(nonNullPostgresText text: String) { self.init(text) }
}
