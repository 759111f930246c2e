import KaikoAPI
import LiquidationModel
import LiquidationStore
import Logging
import Postgres

/// The API request budget of every liqsync using the database: `--max-requests-per-second` for
/// the fleet, not per process, and a 429 received by any process holds back all of them.
///
/// Each request takes its token from the bucket row in one statement, on a connection of its
/// own (not the pool's: a sync holds a pool connection while it waits for the budget). When the
/// database cannot be reached the request fails like any database error of the sync, which is
/// retried on the next pass.
public actor SharedRequestBudget: RequestBudget {
    private let configuration: PostgresConfiguration
    private let ratePerSecond: Double
    private let burst: Double
    private let logger: Logger
    private var connection: PostgresConnection?
    private var pausedUntil: ContinuousClock.Instant?

    /// `burst`: requests that may go at once after a quiet spell (by default one second's worth,
    /// as the process's own bucket).
    public init(configuration: PostgresConfiguration, requestsPerSecond: Double, burst: Double? = nil, logger: Logger) {
        precondition(requestsPerSecond > 0, "a shared budget needs a positive rate")
        self.configuration = configuration
        self.ratePerSecond = requestsPerSecond
        self.burst = burst ?? max(1, requestsPerSecond.rounded(.down))
        self.logger = logger
    }

    public func acquire() async throws {
        let grant = try await withConnection { connection in
            try await SharedBudgetStore.take(ratePerSecond: ratePerSecond, burst: burst, on: connection)
        }
        if grant.pause > .zero { notePause(until: .now + grant.pause) }
        guard grant.wait > .zero else { return }
        try await Task.sleep(for: grant.wait)
        RequestBudgetMetrics.recordWait(grant.wait)
    }

    public func pause(for duration: Duration) async {
        notePause(until: .now + duration)
        do {
            try await withConnection { connection in
                try await SharedBudgetStore.pause(for: duration, on: connection)
            }
        } catch {
            // This process still waits; the others learn of the limit from their own 429s.
            logger.warning("cannot share the API's pause with the other processes", metadata: ["error": "\(error)"])
        }
    }

    public var isPaused: Bool {
        pausedUntil.map { $0 > .now } ?? false
    }

    public func close() async {
        await connection?.close()
        connection = nil
    }

    private func notePause(until: ContinuousClock.Instant) {
        if pausedUntil.map({ until > $0 }) ?? true { pausedUntil = until }
    }

    /// Runs `body` on the budget's connection, (re)connecting as needed. A connection that broke
    /// since its last use (a server restart, a dropped path) is reset and the statement tried
    /// once more: taking a token is idempotent enough (a lost token only slows the fleet).
    private func withConnection<T: Sendable>(_ body: @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        let first = try await usableConnection()
        do {
            return try await body(first)
        } catch {
            guard !(await first.isUsable) else { throw error }
            logger.info("the request budget's connection broke; reconnecting", metadata: ["error": "\(error)"])
            return try await body(try await usableConnection())
        }
    }

    private func usableConnection() async throws -> PostgresConnection {
        if let connection {
            if await connection.isUsable { return connection }
            do {
                try await connection.reset()
                return connection
            } catch {
                await connection.close()
                if self.connection === connection { self.connection = nil }
                throw error
            }
        }
        let fresh = try await PostgresConnection.connect(configuration, logger: logger)
        // Another caller may have connected while this one waited: keep one connection.
        if let existing = connection {
            await fresh.close()
            return existing
        }
        connection = fresh
        return fresh
    }
}
