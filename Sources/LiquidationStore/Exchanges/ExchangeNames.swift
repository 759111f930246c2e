import Postgres

/// Exchange display names (`liquidations.exchange`): the list migration 0001 shipped, refreshed
/// from Kaiko's reference data when it can be read.
public enum ExchangeNames {
    /// What a refresh changed.
    public struct Update: Sendable, Equatable {
        public var renamed = 0
        public var added = 0
    }

    /// Sets the name of every exchange listed, adding the codes not known yet; exchanges not in
    /// the list keep the name they have. A name that did not change is not rewritten.
    public static func update(_ names: [(code: String, name: String)], on connection: PostgresConnection) async throws
        -> Update
    {
        guard !names.isEmpty else { return Update() }
        let codes = names.map(\.code)
        let displayNames = names.map(\.name)
        return try await storeOperation("updating exchange names") {
            let (added, renamed) = try await connection.query(
                """
                WITH incoming AS (
                    SELECT DISTINCT ON (code) code, name
                    FROM unnest(\(codes)::text[], \(displayNames)::text[]) AS listed(code, name)
                ), written AS (
                    INSERT INTO liquidations.exchange AS x (exchange, name)
                    SELECT code, name FROM incoming
                    ON CONFLICT (exchange) DO UPDATE SET name = excluded.name
                    WHERE x.name IS DISTINCT FROM excluded.name
                    RETURNING (xmax = 0) AS inserted
                )
                SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM written
                """, name: "exchanges.update names"
            ).rows[0].decode(Int.self, Int.self)
            return Update(renamed: renamed, added: added)
        }
    }
}
