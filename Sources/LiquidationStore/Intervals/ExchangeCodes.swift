import Postgres

/// New exchange codes get a row in `liquidations.exchange` (named later, or by the shipped
/// list), in the chunk's transaction and before the rows that use them.
enum ExchangeCodes {
    static func register(_ codes: Set<String>, connection: isolated PostgresConnection) throws {
        guard !codes.isEmpty else { return }
        try connection.query(
            """
            INSERT INTO liquidations.exchange (exchange) SELECT unnest(\(codes.sorted())::text[])
            ON CONFLICT (exchange) DO NOTHING
            """, name: "register exchanges")
    }
}
