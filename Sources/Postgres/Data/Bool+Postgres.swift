extension Bool: PostgresEncodable, PostgresNonNullDecodable {
    public var postgresText: String? { self ? "t" : "f" }

    public init?(nonNullPostgresText text: String) {
        switch text {
        case "t", "true": self = true
        case "f", "false": self = false
        default: return nil
        }
    }
}
