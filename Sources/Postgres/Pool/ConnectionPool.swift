import Logging
import ServiceLifecycle

/// PostgreSQL connections reused from one piece of work to the next, at most
/// `maximumConnections` open at once: a checkout beyond that waits (suspended, in turn) for one
/// to come back. A connection that broke (a server restart, a network blip) is reset before it
/// is handed out again, or replaced; so a long-running client reconnects by itself once the
/// server is back. One that sat idle longer than `validateAfterIdle` is pinged first: a path that
/// died while nobody used it (a failover, a firewall that dropped the flow) is found before the
/// work relies on it, not by its failure. A connection to a server that cannot be written to now
/// (a standby, one shutting down) is dropped when the work fails on it, so that the next one may
/// reach the primary that took over; an error of a higher layer that carries a `PostgresError`
/// says so by conforming to `PostgresErrorCarrying`.
///
/// A `Service`, as postgres-nio's `PostgresClient`: `run()` is the pool's life. While it runs it
/// pings the connections that sit idle (so a dead one is replaced between uses, not in one),
/// and when it is cancelled or the service shuts down it closes every connection. A pool nobody
/// runs works the same, checking connections only when they are checked out; `closeAll()` then
/// closes it.
public actor ConnectionPool: Service {
    private let configuration: PostgresConfiguration
    private let logger: Logger
    /// Connections open at most, in use and idle together.
    public nonisolated let maximumConnections: Int
    private let validateAfterIdle: Duration
    private var idle: [(connection: PostgresConnection, since: ContinuousClock.Instant)] = []
    /// Connections open now, in use or idle.
    private var open = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []

    public init(
        configuration: PostgresConfiguration, logger: Logger, maximumConnections: Int = 16, validateAfterIdle: Duration = .seconds(10)
    ) {
        self.configuration = configuration
        self.logger = logger
        self.maximumConnections = max(1, maximumConnections)
        self.validateAfterIdle = validateAfterIdle
    }

    /// Runs `body` with a healthy connection, returned to the pool afterwards.
    public func withConnection<T: Sendable>(_ body: @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        let connection = try await checkOut()
        do {
            let value = try await body(connection)
            checkIn(connection)
            return value
        } catch {
            if Self.isWrongServer(error) {
                logger.warning("dropping a connection to a server that cannot be written to now", metadata: ["error": "\(error)"])
                await drop(connection)
            } else {
                checkIn(connection)
            }
            throw error
        }
    }

    /// Connections open now, in use or idle (for tests and diagnostics).
    public var openConnections: Int { open }

    private func checkOut() async throws -> PostgresConnection {
        while true {
            while let (connection, since) = idle.popLast() {
                if let healthy = await healthy(connection, idleSince: since) { return healthy }
            }
            if open < maximumConnections {
                open += 1
                do {
                    return try await PostgresConnection.connect(configuration, logger: logger)
                } catch {
                    open -= 1
                    wakeOne()
                    throw error
                }
            }
            await withCheckedContinuation { waiting.append($0) }
        }
    }

    /// The connection, checked as long idleness warrants and reset if broken; nil when it had
    /// to be dropped.
    private func healthy(_ connection: PostgresConnection, idleSince since: ContinuousClock.Instant) async -> PostgresConnection? {
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
            await drop(connection)
            return nil
        }
    }

    private static func isWrongServer(_ error: any Error) -> Bool {
        let postgres = (error as? PostgresError) ?? (error as? any PostgresErrorCarrying)?.postgresError
        return postgres?.isWrongServer ?? false
    }

    private func checkIn(_ connection: PostgresConnection) {
        idle.append((connection, .now))
        wakeOne()
    }

    private func drop(_ connection: PostgresConnection) async {
        await connection.close()
        open -= 1
        wakeOne()
    }

    /// The longest waiter tries again: a connection came back, or there is room for one more.
    private func wakeOne() {
        if !waiting.isEmpty { waiting.removeFirst().resume() }
    }

    /// Pings the connections idle longer than `validateAfterIdle`, every `validateAfterIdle`,
    /// until cancelled or the service shuts down; then closes every connection.
    public func run() async throws {
        _ = try? await cancelWhenGracefulShutdown { [validateAfterIdle] in
            while true {
                try await Task.sleep(for: validateAfterIdle)
                await self.checkIdle()
            }
        }
        await closeAll()
    }

    /// Takes the idle connections that sat long enough out of the pool one at a time, checks
    /// each (`healthy`) and puts back those that answer.
    private func checkIdle() async {
        let due = idle.filter { $0.since.duration(to: .now) > validateAfterIdle }.map { ObjectIdentifier($0.connection) }
        for identifier in due {
            guard let index = idle.firstIndex(where: { ObjectIdentifier($0.connection) == identifier }) else { continue }
            let (connection, since) = idle.remove(at: index)
            if let healthy = await healthy(connection, idleSince: since) { checkIn(healthy) }
        }
    }

    public func closeAll() async {
        let connections = idle
        idle = []
        open -= connections.count
        for (connection, _) in connections { await connection.close() }
        while !waiting.isEmpty { wakeOne() }
    }
}

/// An error of a layer above that wraps a `PostgresError` (a store's "writing X failed" with the
/// server's error inside): the pool reads the server's error through it.
public protocol PostgresErrorCarrying: Error {
    var postgresError: PostgresError? { get }
}
