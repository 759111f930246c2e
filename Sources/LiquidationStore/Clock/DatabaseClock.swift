import Postgres

/// The database server's clock: the reference liqsync checks its own against, since it is
/// what `now()` in the views (lag) and the watermark's own check use.
public enum DatabaseClock {
    /// Seconds since the epoch on the server, now.
    public static func now(on connection: PostgresConnection) async throws -> Double {
        try await storeOperation("reading the database clock") {
            try await connection.query(
                "SELECT extract(epoch FROM clock_timestamp())::float8", name: "database clock"
            ).scalar(Double.self)
        }
    }
}
