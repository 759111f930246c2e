import Logging
import Postgres

/// A few PostgreSQL connections reused from pass to pass. A connection that broke (a server
/// restart, a network blip) is reset before it is handed out again, or replaced; so the service
/// reconnects by itself once the server is back.
public actor ConnectionPool {
    private let configuration: PostgresConfiguration
    private let logger: Logger
    private var idle: [PostgresConnection] = []

    public init(configuration: PostgresConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    /// Runs `body` with a healthy connection, returned to the pool afterwards.
    public func withConnection<T: Sendable>(_ body: @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        let connection = try await checkOut()
        do {
            let value = try await body(connection)
            await checkIn(connection)
            return value
        } catch {
            await checkIn(connection)
            throw error
        }
    }

    private func checkOut() async throws -> PostgresConnection {
        while let connection = idle.popLast() {
            if await connection.isUsable { return connection }
            do {
                try await connection.reset()
                return connection
            } catch {
                logger.warning("dropping a broken PostgreSQL connection", metadata: ["error": "\(error)"])
                await connection.close()
            }
        }
        return try await PostgresConnection.connect(configuration, logger: logger)
    }

    private func checkIn(_ connection: PostgresConnection) async {
        idle.append(connection)
    }

    public func closeAll() async {
        let connections = idle
        idle = []
        for connection in connections { await connection.close() }
    }
}
