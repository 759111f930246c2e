import LiquidationModel
import LiquidationStore
import Postgres

/// The seam of the locking model: how a liqsync takes an asset for itself (one writer per
/// asset), proves in each chunk's transaction that it still has it, and gives it back. Sync,
/// backfill and repair all claim through it (`WindowPipeline`), so the model lives here alone.
public protocol AssetClaims: Sendable {
    /// Takes the asset if no other liqsync has it; false at once otherwise.
    func tryClaim(_ asset: AssetCode) async throws -> Bool
    /// In a chunk's transaction: throws `StoreError.lockLost` unless the claim still holds, so
    /// nothing is committed for an asset another liqsync may have taken meanwhile.
    func verify(_ asset: AssetCode, on connection: isolated PostgresConnection) throws
    /// In the transaction recording a failure: whether the asset's state may be written (the
    /// claim still holds, or nobody has the asset), so a stale failure cannot overwrite the
    /// success of the liqsync that took the asset over.
    func mayRecordFailure(of asset: AssetCode, on connection: isolated PostgresConnection) throws -> Bool
    func release(_ asset: AssetCode) async
    /// Gives back every claim still held (the backstop at the end of a session).
    func releaseAll() async
}

/// Claims as session-level advisory locks (`AssetLocks`), all held by one session of the load
/// (its lock session) while chunks are written on other connections. Another liqsync sees the
/// asset locked; a lock session that ends (a dropped connection, a killed process) releases its
/// locks, and the chunks in flight are then refused where they would commit.
struct SessionLockClaims: AssetClaims {
    let session: PostgresConnection
    /// The lock session's server process id, as `pg_locks` names it.
    let sessionID: Int32

    init(session: PostgresConnection) async throws {
        self.session = session
        sessionID = try await session.sessionID()
    }

    func tryClaim(_ asset: AssetCode) async throws -> Bool {
        try await AssetLocks.tryLock(asset, on: session)
    }

    func verify(_ asset: AssetCode, on connection: isolated PostgresConnection) throws {
        try AssetLocks.verifyHeld(asset, bySession: sessionID, on: connection)
    }

    func mayRecordFailure(of asset: AssetCode, on connection: isolated PostgresConnection) throws -> Bool {
        let key = AssetLocks.key(for: asset)
        return try connection.advisoryLockIsHeld(key, bySession: sessionID) || connection.tryTransactionAdvisoryLock(key)
    }

    func release(_ asset: AssetCode) async {
        await AssetLocks.unlock(asset, on: session)
    }

    func releaseAll() async {
        _ = try? await session.advisoryUnlockAll()
    }
}
