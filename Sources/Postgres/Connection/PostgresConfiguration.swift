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
    public var applicationName: String?
    /// Seconds to wait for the server to answer a connection attempt, unless the string sets it.
    public var connectTimeoutSeconds: Int
    /// The session's `statement_timeout`: no statement runs longer. Nil leaves the server's (or
    /// the role's) setting alone.
    public var statementTimeout: Duration?
    /// The session's `lock_timeout`: no statement waits longer for a lock. Nil leaves the
    /// server's setting alone.
    public var lockTimeout: Duration?
    /// TCP keepalives and `tcp_user_timeout`, unless the string sets them: a network path that
    /// died silently is noticed in seconds instead of the kernel's two hours.
    public var keepalives: Keepalives
    /// What kind of connection the string leads to, and so where the session's settings live.
    public var pooling: Pooling

    /// What sits between the client and the server.
    public enum Pooling: String, Sendable, CaseIterable {
        /// Find out when connecting (`PoolingProbe`): `transaction` if the server session
        /// changes between transactions, else `session`.
        case auto
        /// A session of its own: a direct connection, or a pooler in session mode. The settings
        /// are set once, for the session.
        case session
        /// A pooler in transaction mode (PgBouncer's pool_mode=transaction, a managed service's
        /// pooled port): every transaction may run on another server session, whose settings
        /// are not this connection's. Nothing is set for the session; each transaction sets its own
        /// (`SET LOCAL`), and a statement outside a transaction runs in one of its own.
        case transaction
    }

    public struct Keepalives: Sendable, Equatable {
        /// Idle seconds before the first probe, seconds between probes, probes lost before the
        /// connection is dropped.
        public var idleSeconds: Int
        public var intervalSeconds: Int
        public var count: Int
        /// Milliseconds sent data may stay unacknowledged before the connection is dropped.
        public var tcpUserTimeoutMilliseconds: Int

        public init(idleSeconds: Int = 15, intervalSeconds: Int = 5, count: Int = 3, tcpUserTimeoutMilliseconds: Int = 20_000) {
            self.idleSeconds = idleSeconds
            self.intervalSeconds = intervalSeconds
            self.count = count
            self.tcpUserTimeoutMilliseconds = tcpUserTimeoutMilliseconds
        }
    }

    /// Prepared statements' names start with this (and a token of the connection's own).
    public var preparedStatementPrefix: String
    /// Added to the warning logged when the server session lost the connection's prepared
    /// statements: what the caller's user can do about it (how to declare the pooling).
    public var lostStatementsAdvice: String?

    public init(
        connectionString: String? = nil, applicationName: String? = nil, connectTimeoutSeconds: Int = 10,
        statementTimeout: Duration? = .seconds(300), lockTimeout: Duration? = .seconds(30),
        keepalives: Keepalives = Keepalives(), pooling: Pooling = .session, preparedStatementPrefix: String = "stmt_",
        lostStatementsAdvice: String? = nil
    ) {
        self.pooling = pooling
        self.preparedStatementPrefix = preparedStatementPrefix
        self.lostStatementsAdvice = lostStatementsAdvice
        self.connectionString = connectionString.flatMap { $0.isEmpty ? nil : $0 }
        self.applicationName = applicationName
        self.connectTimeoutSeconds = connectTimeoutSeconds
        self.statementTimeout = statementTimeout
        self.lockTimeout = lockTimeout
        self.keepalives = keepalives
    }

    /// The settings our decoders rely on, whatever the server or role defaults, and the
    /// session's deadlines (milliseconds; 0 turns one off), as `SET` statements: for the session,
    /// or (`local`) for the transaction they open. The conversion is this layer's own: it does
    /// not depend on the domain model's.
    func settings(local: Bool) -> String {
        func milliseconds(_ duration: Duration) -> Int64 {
            let (product, overflow) = duration.components.seconds.multipliedReportingOverflow(by: 1000)
            return overflow ? Int64(Int32.max) : min(Int64(Int32.max), max(0, product + duration.components.attoseconds / 1_000_000_000_000_000))
        }
        var settings = ["TimeZone = 'UTC'", "DateStyle = 'ISO, YMD'", "IntervalStyle = 'iso_8601'", "extra_float_digits = 1"]
        if let statementTimeout { settings.append("statement_timeout = \(milliseconds(statementTimeout))") }
        if let lockTimeout { settings.append("lock_timeout = \(milliseconds(lockTimeout))") }
        return settings.map { (local ? "SET LOCAL " : "SET ") + $0 }.joined(separator: "; ")
    }

    /// `SET` statements for the server's side of the same TCP path: the backend probes the
    /// client as the client probes it, so a client host that vanished has its session (and
    /// whatever the session held) ended in seconds rather than after the kernel's two hours.
    /// PostgreSQL ignores them on Unix-domain sockets.
    var serverKeepalives: String {
        [
            "SET tcp_keepalives_idle = \(keepalives.idleSeconds)", "SET tcp_keepalives_interval = \(keepalives.intervalSeconds)",
            "SET tcp_keepalives_count = \(keepalives.count)", "SET tcp_user_timeout = \(keepalives.tcpUserTimeoutMilliseconds)",
        ].joined(separator: "; ")
    }

    /// Why the connection string would be refused (malformed, or a URL libpq would misread),
    /// without quoting it; nil when it is fine or absent.
    public var connectionStringProblem: String? {
        connectionString.flatMap { ConnectionString($0).problem }
    }

    /// The connection string with any password replaced by `****`, or libpq's defaults.
    public var description: String {
        guard let connectionString else { return "libpq defaults (PG* environment, ~/.pgpass)" }
        return PasswordRedactor(connectionString: connectionString).redact(connectionString)
    }
}
