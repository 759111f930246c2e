import Logging

/// Finds out whether a connection string leads to a pooler in transaction mode (PgBouncer's
/// pool_mode=transaction, a managed service's pooled port), where the server session may change
/// between two transactions of one connection, so nothing may rely on session state.
///
/// Two connections: the first notes its server session; the second opens a transaction and
/// holds it (a pooler hands it the server session just freed, the first's); the first asks
/// again. On a session of its own (a direct connection, a pooler in session mode) the second is
/// never on the first's server session and the first is where it was; behind a transaction
/// pooler the second is on the first's server session, or the first is on another one now, or
/// waits for one (a pool of a single server connection).
///
/// Other clients of the pooler (a fleet starting at once) can free another server session just
/// before the second asks: the second gets that one, and the first, asking again, the one it had.
/// Such a round proves nothing either way, so the probe asks up to `rounds` times and takes the
/// connection for a session of its own only when no round showed a pooler.
public enum PoolingProbe {
    /// Rounds of the probe at most; a direct connection answers each in milliseconds.
    static let rounds = 5

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
        for _ in 0..<rounds {
            if try await showsTransactionPooling(first, second) { return true }
        }
        return false
    }

    /// One round: true when it proves a transaction pooler; false when it does not (a session of
    /// its own, or other clients of the pooler got in the way).
    private static func showsTransactionPooling(_ first: PostgresConnection, _ second: PostgresConnection) async throws -> Bool {
        let before = try await first.serverSession()
        try await second.execute(script: "BEGIN")
        // Two clients on one server session: only a pooler does that.
        guard try await second.serverSession() != before else {
            try await second.execute(script: "COMMIT")
            return true
        }
        // The first asks again while the second holds its transaction: a second at most (a
        // direct connection answers in a millisecond). No answer by then: one server connection,
        // shared, which the first gets once the second lets it go.
        return try await withThrowingTaskGroup(of: Int32?.self) { group in
            group.addTask { try await first.serverSession() }
            group.addTask {
                try? await Task.sleep(for: .seconds(1))
                return nil
            }
            guard let answer = try await group.next() ?? nil else {
                try await second.execute(script: "COMMIT")
                try await group.waitForAll()
                return true
            }
            group.cancelAll()
            try await second.execute(script: "COMMIT")
            return answer != before
        }
    }
}

extension PostgresConnection {
    /// The server process this statement ran on.
    func serverSession() throws(PostgresError) -> Int32 {
        try query("SELECT pg_backend_pid()", name: "pooling probe").scalar(Int32.self)
    }
}
