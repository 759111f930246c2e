import ArgumentParser
import Foundation
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

    @Option(help: ArgumentHelp("Log level: trace, debug, info, notice, warning, error.", valueName: "level"))
    var logLevel: Logger.Level = .info

    /// The database configuration: the option, else `DATABASE_URL`, else libpq's defaults.
    func postgresConfiguration(environment: [String: String] = ProcessInfo.processInfo.environment)
        -> PostgresConfiguration
    {
        PostgresConfiguration(connectionString: databaseURL ?? environment["DATABASE_URL"])
    }

    func makeLogger(label: String = "liqsync") -> Logger {
        LogSetup.bootstrapOnce()
        var logger = Logger(label: label)
        logger.logLevel = logLevel
        return logger
    }

    /// Connects, runs `body`, and closes the connection whatever happens.
    func withConnection<T>(logger: Logger, _ body: (PostgresConnection) async throws -> T) async throws -> T {
        let connection = try await PostgresConnection.connect(postgresConfiguration(), logger: logger)
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

enum LogSetup {
    private static let once: Void = {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .trace  // each Logger sets its own level
            return handler
        }
    }()

    static func bootstrapOnce() { once }
}
