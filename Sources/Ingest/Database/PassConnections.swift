import LiquidationModel
import LiquidationStore
import Postgres

/// The database side of one sync pass. One session, `locks`, holds the locks of the assets in
/// progress and reads them under those locks; chunks are written on pooled connections, at
/// most `writers` at a time, each checking in its transaction that the lock session still holds
/// the asset's lock.
///
/// Why not a connection per asset, as before: an asset's lock was held on the connection that
/// wrote it, so each asset in progress, waiting for the API most of the time, held a connection;
/// requests in flight were capped by connections (4 by default), and a pass over 200 assets at
/// 300 ms a request took 15 s where Kaiko's budget allows 2 s. Locks cost nothing to hold; one
/// session can hold many, and other liqsyncs still see each asset locked.
public struct PassConnections: Sendable {
    public let locks: PostgresConnection
    /// The lock session's server process id, as `pg_locks` names it.
    public let lockSession: Int32
    let pool: ConnectionPool
    let writers: AsyncSemaphore
    /// Assets catching up (many chunks) in progress at once: what they hold in memory is bounded
    /// as it was with a connection per asset.
    let catchingUp: AsyncSemaphore
    /// Chunks fetched ahead, shared by the assets catching up (`--prefetch`).
    let prefetch: PrefetchBudget

    init(locks: PostgresConnection, pool: ConnectionPool, writers: Int, prefetchChunks: Int) async throws {
        self.locks = locks
        self.lockSession = try await locks.sessionID()
        self.pool = pool
        self.writers = AsyncSemaphore(permits: writers)
        self.catchingUp = AsyncSemaphore(permits: writers)
        self.prefetch = PrefetchBudget(chunks: prefetchChunks)
    }

    /// Runs `body` on a pooled connection, once one of the `writers` permits is free.
    func withWriter<T: Sendable>(_ body: @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        try await writers.withPermit { try await pool.withConnection(body) }
    }

    /// Ends the pass's hold on every lock (each asset releases its own; this is the backstop,
    /// before the session goes back to the pool).
    func releaseAll() async {
        _ = try? await locks.advisoryUnlockAll()
    }
}
