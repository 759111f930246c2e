import LiquidationStore
import Logging
import Postgres

/// A few PostgreSQL connections reused from pass to pass. A connection that broke (a server
/// restart, a network blip) is reset before it is handed out again, or replaced; so the service
/// reconnects by itself once the server is back. One that sat idle longer than
/// `validateAfterIdle` is pinged first: a path that died while nobody used it (a failover, a
/// firewall that dropped the flow) is found before a sync relies on it, not by its failure.
public actor ConnectionPool {
    private let configuration: PostgresConfiguration
    private let logger: Logger
    private let validateAfterIdle: Duration
    private var idle: [(connection: PostgresConnection, since: ContinuousClock.Instant)] = []

    public init(configuration: PostgresConfiguration, logger: Logger, validateAfterIdle: Duration = .seconds(10)) {
        self.configuration = configuration
        self.logger = logger
        self.validateAfterIdle = validateAfterIdle
    }

    /// Runs `body` with a healthy connection, returned to the pool afterwards.
    public func withConnection<T: Sendable>(_ body: @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        let connection = try await checkOut()
        do {
            let value = try await body(connection)
            await checkIn(connection)
            return value
        } catch {
            // A connection to a server that cannot be written to now (a standby, one shutting
            // down) is dropped: the next one may reach the primary that took over.
            if Self.isWrongServer(error) {
                logger.warning("dropping a connection to a server liqsync cannot write to", metadata: ["error": "\(error)"])
                await connection.close()
            } else {
                await checkIn(connection)
            }
            throw error
        }
    }

    private func checkOut() async throws -> PostgresConnection {
        while let (connection, since) = idle.popLast() {
            if await connection.isUsable {
                guard since.duration(to: .now) > validateAfterIdle else { return connection }
                do {
                    try await connection.ping()
                    return connection
                } catch {
                    logger.warning("an idle PostgreSQL connection no longer answers; reconnecting", metadata: ["error": "\(error)"])
                }
            }
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

    private static func isWrongServer(_ error: any Error) -> Bool {
        switch error {
        case let error as PostgresError: error.isWrongServer
        case StoreError.database(_, let error): error.isWrongServer
        default: false
        }
    }

    private func checkIn(_ connection: PostgresConnection) async {
        idle.append((connection, .now))
    }

    public func closeAll() async {
        let connections = idle
        idle = []
        for (connection, _) in connections { await connection.close() }
    }
}
