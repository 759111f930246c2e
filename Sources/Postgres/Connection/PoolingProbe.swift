import Logging
import Synchronization

/// Finds out whether a connection string leads to a pooler in transaction mode (PgBouncer's
/// pool_mode=transaction, a managed service's pooled port), where the server session may change
/// between two transactions of one connection, so nothing may rely on session state.
///
/// Two connections: the first notes its server session; the second opens a transaction and
/// holds it (a pooler hands it the server session just freed, the first's); the first asks
/// again. On a session of its own (a direct connection, a pooler in session mode) the first is
/// where it was; behind a transaction pooler it is on another server session now, or waits for
/// one (a pool of a single server connection).
public enum PoolingProbe {
    /// `configuration` with `pooling` decided: as given unless `.auto`.
    public static func resolve(_ configuration: PostgresConfiguration, logger: Logger) async throws -> PostgresConfiguration {
        guard configuration.pooling == .auto else { return configuration }
        var resolved = configuration
        resolved.pooling = try await transactionPooling(configuration, logger: logger) ? .transaction : .session
        logger.debug("connection pooling", metadata: ["pooling": "\(resolved.pooling.rawValue)"])
        return resolved
    }

    static func transactionPooling(_ configuration: PostgresConfiguration, logger: Logger) async throws -> Bool {
        var probe = configuration
        probe.pooling = .transaction  // nothing set for sessions that may not be ours
        let first = try await PostgresConnection.connect(probe, logger: logger)
        do {
            let second = try await PostgresConnection.connect(probe, logger: logger)
            do {
                let pooled = try await compare(first, second)
                await second.close()
                await first.close()
                return pooled
            } catch {
                await second.close()
                throw error
            }
        } catch {
            await first.close()
            throw error
        }
    }

    private static func compare(_ first: PostgresConnection, _ second: PostgresConnection) async throws -> Bool {
        let before = try await first.serverSession()
        try await second.execute(script: "BEGIN")
        _ = try await second.query("SELECT pg_backend_pid()", name: "pooling probe")
        let answered = Mutex(false)
        let after = Task {
            defer { answered.withLock { $0 = true } }
            return try await first.serverSession()
        }
        // A second at most; a direct connection answers in milliseconds.
        for _ in 0..<100 where !answered.withLock({ $0 }) {
            try await Task.sleep(for: .milliseconds(10))
        }
        let answeredWhileHeld = answered.withLock { $0 }
        try await second.execute(script: "COMMIT")
        let now = try await after.value
        // No answer while the second held its transaction: one server connection, shared.
        return !answeredWhileHeld || now != before
    }
}

extension PostgresConnection {
    /// The server process this statement ran on.
    func serverSession() throws(PostgresError) -> Int32 {
        try query("SELECT pg_backend_pid()", name: "pooling probe").scalar(Int32.self)
    }
}
