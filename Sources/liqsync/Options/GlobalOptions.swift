import ArgumentParser
import CommandLineSupport
import FoundationEssentials
import Logging
import Postgres

/// Options every command that touches the database shares.
struct GlobalOptions: ParsableArguments {
    @Option(
        name: .customLong("database-url"),
        help: ArgumentHelp(
            "PostgreSQL URL or conninfo. Default: $DATABASE_URL, else libpq's own PG* variables and ~/.pgpass.",
            discussion: "Prefer PGPASSWORD or ~/.pgpass to a password in the URL: arguments are visible in the process list.",
            valueName: "url"))
    var databaseURL: String?

    @Option(help: ArgumentHelp(
        "Deadline of one SQL statement (0: none). Migrations and the wait for an asset's claim are exempt.",
        valueName: "seconds"))
    var statementTimeout: Int = 300

    @Option(help: ArgumentHelp("How long a statement may wait for a row or table lock (0: no limit).", valueName: "seconds"))
    var lockTimeout: Int = 30

    @Option(help: ArgumentHelp(
        "What is between liqsync and PostgreSQL: session (a direct connection, or a pooler in session mode), transaction "
            + "(a pooler in transaction mode, e.g. PgBouncer's pool_mode=transaction or a managed service's pooled port), or "
            + "auto (found out when connecting).",
        valueName: "auto|session|transaction"))
    var pooling: PostgresConfiguration.Pooling = .auto

    @Option(help: ArgumentHelp("Log level: trace, debug, info, notice, warning, error.", valueName: "level"))
    var logLevel: Logger.Level = .info

    @Option(help: ArgumentHelp("Log format on stderr: text or json.", valueName: "format"))
    var logFormat: LogFormat = .text

    /// The database configuration: the option, else `DATABASE_URL`, else libpq's defaults.
    func postgresConfiguration(environment: [String: String] = ProcessInfo.processInfo.environment)
        -> PostgresConfiguration
    {
        PostgresConfiguration(
            connectionString: databaseURL ?? environment["DATABASE_URL"], applicationName: "liqsync",
            statementTimeout: .seconds(statementTimeout), lockTimeout: .seconds(lockTimeout), pooling: pooling,
            preparedStatementPrefix: "liqsync_",
            lostStatementsAdvice: "behind a pooler in transaction mode, use --pooling transaction or auto")
    }

    /// The database configuration with `--pooling auto` decided (`PoolingProbe`).
    func resolvedPostgresConfiguration(logger: Logger) async throws -> PostgresConfiguration {
        try await PoolingProbe.resolve(postgresConfiguration(), logger: logger)
    }

    func validate() throws {
        if let databaseURL, let problem = PostgresConfiguration(connectionString: databaseURL).connectionStringProblem {
            throw ValidationError("--database-url: \(problem)")
        }
        guard (0...86_400).contains(statementTimeout) else { throw ValidationError("--statement-timeout must be 0 to 86400 seconds") }
        guard (0...86_400).contains(lockTimeout) else { throw ValidationError("--lock-timeout must be 0 to 86400 seconds") }
    }

    func makeLogger(label: String = "liqsync") -> Logger {
        LogSetup.bootstrapOnce(format: logFormat)
        var logger = Logger(label: label)
        logger.logLevel = logLevel
        return logger
    }

    /// Connects, runs `body`, and closes the connection whatever happens.
    func withConnection<T>(logger: Logger, _ body: (PostgresConnection) async throws -> T) async throws -> T {
        let connection = try await PostgresConnection.connect(try await resolvedPostgresConfiguration(logger: logger), logger: logger)
        do {
            let value = try await body(connection)
            await connection.close()
            return value
        } catch {
            await connection.close()
            throw error
        }
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}

extension PostgresConfiguration.Pooling: ExpressibleByArgument {}
