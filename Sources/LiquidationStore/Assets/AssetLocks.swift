import LiquidationModel
import Postgres

/// One writer per asset: a session-level advisory lock keyed by the asset code. Held on the
/// connection that writes; released by `unlock`, or by PostgreSQL when the session ends, so a
/// killed process never leaves an asset locked.
public enum AssetLocks {
    public static func key(for asset: AssetCode) -> Int64 {
        advisoryLockKey("liqsync.asset.\(asset.rawValue)")
    }

    /// Takes the asset's lock if free; false when another process holds it.
    public static func tryLock(_ asset: AssetCode, on connection: PostgresConnection) async throws -> Bool {
        try await storeOperation("locking \(asset)") { try await connection.tryAdvisoryLock(key(for: asset)) }
    }

    /// Waits for the asset's lock.
    public static func lock(_ asset: AssetCode, on connection: PostgresConnection) async throws {
        try await storeOperation("locking \(asset)") { try await connection.advisoryLock(key(for: asset)) }
    }

    /// Inside a chunk's transaction on a connection other than the one holding the asset's lock
    /// (a sync pass holds its assets' locks on one session and writes on others): refuses the
    /// chunk unless that session, `holder`, still holds the lock. A lock session that ended
    /// (a dropped connection, an idle timeout) released its locks, and another liqsync may
    /// already be writing the asset.
    public static func verifyHeld(
        _ asset: AssetCode, bySession holder: Int32, on connection: isolated PostgresConnection
    ) throws(StoreError) {
        let held: Bool
        do {
            held = try connection.advisoryLockIsHeld(key(for: asset), bySession: holder)
        } catch {
            throw StoreError.wrap(error, "checking the lock of \(asset)")
        }
        guard held else { throw .lockLost(asset) }
    }

    public static func unlock(_ asset: AssetCode, on connection: PostgresConnection) async {
        _ = try? await connection.advisoryUnlock(key(for: asset))
    }
}
