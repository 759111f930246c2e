import KaikoAPI
import LiquidationStore
import Logging
import Postgres

/// The database connections and the API client a command works with: opened together, after
/// checking that the schema matches this release, and closed together when the work is done,
/// whether it returns or throws. The pool runs (`ConnectionPool.run`) as a child task for as
/// long as the work does. The client's request budget is shared through the database with every
/// other liqsync using it (`SharedRequestBudget`).
public struct IngestResources: Sendable {
    public let pool: ConnectionPool
    public let client: KaikoClient
    public let logger: Logger
    private let budget: SharedRequestBudget?

    /// `maximumConnections`: the pool's bound (`LoadSettings.connectionsNeeded` for a command
    /// that loads); the shared request budget keeps one connection of its own besides.
    public static func with<T>(
        postgres: PostgresConfiguration, kaiko: KaikoConfiguration, maximumConnections: Int, logger: Logger,
        _ body: (IngestResources) async throws -> T
    ) async throws -> T {
        let budget = kaiko.maxRequestsPerSecond.map {
            SharedRequestBudget(configuration: postgres, requestsPerSecond: $0, logger: logger)
        }
        let resources = IngestResources(
            pool: ConnectionPool(configuration: postgres, logger: logger, maximumConnections: maximumConnections),
            client: KaikoClient(configuration: kaiko, logger: logger, budget: budget), logger: logger, budget: budget)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await resources.pool.run() }
            do {
                // Refuse to write into a schema this binary does not match.
                try await resources.pool.withConnection { connection in
                    try await MigrationRunner(connection: connection, migrations: try Migration.embedded(), logger: logger)
                        .requireUpToDate()
                }
                let value = try await body(resources)
                group.cancelAll()
                await resources.close()
                return value
            } catch {
                group.cancelAll()
                await resources.close()
                throw error
            }
        }
    }

    private func close() async {
        do {
            try await client.shutdown()
        } catch {
            logger.warning("the HTTP client did not shut down cleanly", metadata: ["error": "\(error)"])
        }
        await budget?.close()
        await pool.closeAll()
    }
}
