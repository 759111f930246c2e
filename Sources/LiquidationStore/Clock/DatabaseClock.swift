import Postgres

/// The database server's clock: the reference liqsync checks its own against, since it is
/// what `now()` in the views (lag) and the watermark's own check use; read together with whether
/// the server can be written to at all.
public enum DatabaseClock {
    /// Seconds since the epoch on the server, now. Throws (SQLSTATE 25006, a temporary failure
    /// that says what it is) when the server is a standby in recovery: nothing planned there
    /// could be written.
    public static func now(on connection: PostgresConnection) async throws -> Double {
        let (seconds, inRecovery) = try await storeOperation("reading the database clock") {
            try await connection.query(
                "SELECT extract(epoch FROM clock_timestamp())::float8, pg_is_in_recovery()", name: "database clock"
            ).rows[0].decode(Double.self, Bool.self)
        }
        guard !inRecovery else {
            throw StoreError.database(
                operation: "checking the database server",
                PostgresError(code: .server, message: "the server is a standby in recovery", sqlState: "25006"))
        }
        return seconds
    }
}
