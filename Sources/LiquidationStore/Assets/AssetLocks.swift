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

    public static func unlock(_ asset: AssetCode, on connection: PostgresConnection) async {
        _ = try? await connection.advisoryUnlock(key(for: asset))
    }
}
