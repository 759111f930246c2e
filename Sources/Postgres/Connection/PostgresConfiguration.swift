/// Where and how to connect.
///
/// With no connection string, libpq's own conventions apply unchanged: the `PG*` environment
/// variables (`PGHOST`, `PGPORT`, `PGUSER`, `PGDATABASE`, `PGPASSWORD`...), `~/.pgpass`, and
/// `PGSERVICE` / `pg_service.conf`. A string may be a URL (`postgresql://user@host/db`) or a
/// key=value conninfo (`host=/run/postgresql dbname=liq`); values it does not set still come
/// from those defaults.
public struct PostgresConfiguration: Sendable, CustomStringConvertible {
    public var connectionString: String?
    /// Reported to the server (`pg_stat_activity.application_name`) unless the string sets one.
    public var applicationName: String
    /// Seconds to wait for the server to answer a connection attempt, unless the string sets it.
    public var connectTimeoutSeconds: Int

    public init(connectionString: String? = nil, applicationName: String = "liqsync", connectTimeoutSeconds: Int = 10) {
        self.connectionString = connectionString.flatMap { $0.isEmpty ? nil : $0 }
        self.applicationName = applicationName
        self.connectTimeoutSeconds = connectTimeoutSeconds
    }

    /// The connection string with any password replaced by `****`, or libpq's defaults.
    public var description: String {
        guard let connectionString else { return "libpq defaults (PG* environment, ~/.pgpass)" }
        return PasswordRedactor(connectionString: connectionString).redact(connectionString)
    }
}
