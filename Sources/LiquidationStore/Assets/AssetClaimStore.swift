import LiquidationModel
import Postgres

/// One writer per asset: claims kept in `liquidations.asset_claim` (migration 0010), taken,
/// renewed, checked and released with single statements, so they hold through a
/// transaction-pooling PgBouncer as on a direct connection.
///
/// A claim names its holder (one load session of one process) and, on a session of the holder's
/// own (a direct connection, a session pooler), the server session that last renewed it. It can
/// be taken over once it expired, or at once when that session is gone: a killed liqsync on a
/// direct connection gives its assets up as soon as PostgreSQL notices its session ended.
/// Behind a transaction pooler server sessions are shared and outlive their clients, so a claim
/// names none (migration 0011) and holds until it expires.
public struct AssetClaimStore: Sendable {
    /// Who claims: a load session of this process.
    public let holder: String
    /// How long a claim holds without being renewed.
    public let lease: Duration

    public init(holder: String, lease: Duration) {
        self.holder = holder
        self.lease = lease
    }

    private var leaseSeconds: Double { Double(lease.components.seconds) + Double(lease.components.attoseconds) / 1e18 }

    /// The claim row `c`'s session is still there, or it names none (its backend start is
    /// compared where the server shows it: to another role it may not).
    static let sessionAlive: StaticString = """
        (c.session_pid IS NULL OR EXISTS (SELECT 1 FROM pg_stat_activity AS a
                WHERE a.pid = c.session_pid AND (a.backend_start IS NULL OR a.backend_start = c.session_start)))
        """

    /// Whether claims taken and renewed on `connection` name its server session: not behind a
    /// transaction pooler, where the session is whichever the pooler lent for the transaction.
    private static func bindsSession(_ connection: PostgresConnection) -> Bool {
        connection.configuration.pooling != .transaction
    }

    /// Takes the asset if nobody holds it, its claim expired, or its holder's session is gone;
    /// false at once otherwise.
    public func tryClaim(_ asset: AssetCode, on connection: PostgresConnection) async throws -> Bool {
        let bindsSession = Self.bindsSession(connection)
        return try await storeOperation("claiming \(asset)") {
            try await connection.query(
                """
                INSERT INTO liquidations.asset_claim AS c (asset, holder, expires_at, session_pid, session_start)
                SELECT \(asset), \(holder), now() + make_interval(secs => \(leaseSeconds)),
                       CASE WHEN \(bindsSession) THEN pg_backend_pid() END,
                       CASE WHEN \(bindsSession) THEN coalesce(
                           (SELECT backend_start FROM pg_stat_activity WHERE pid = pg_backend_pid()), now()) END
                ON CONFLICT (asset) DO UPDATE
                SET holder = excluded.holder, claimed_at = now(), expires_at = excluded.expires_at,
                    session_pid = excluded.session_pid, session_start = excluded.session_start
                WHERE c.expires_at < now() OR NOT \(sql: Self.sessionAlive)
                RETURNING 1
                """, name: "claims.take"
            ).rows.count == 1
        }
    }

    /// Renews every claim of this holder, recording this connection's session as the one whose
    /// end gives them up. Returns how many are held.
    @discardableResult
    public func renew(on connection: PostgresConnection) async throws -> Int {
        let bindsSession = Self.bindsSession(connection)
        return try await storeOperation("renewing the claims of \(holder)") {
            try await connection.query(
                """
                UPDATE liquidations.asset_claim
                SET expires_at = now() + make_interval(secs => \(leaseSeconds)),
                    session_pid = CASE WHEN \(bindsSession) THEN pg_backend_pid() END,
                    session_start = CASE WHEN \(bindsSession) THEN coalesce(
                        (SELECT backend_start FROM pg_stat_activity WHERE pid = pg_backend_pid()), now()) END
                WHERE holder = \(holder)
                """, name: "claims.renew"
            ).affectedRows
        }
    }

    /// Inside a chunk's transaction: renews the claim, and refuses the chunk unless the claim
    /// is still this holder's and its session still there (another liqsync may have the asset).
    public func verify(_ asset: AssetCode, on connection: isolated PostgresConnection) throws(StoreError) {
        let held: Bool
        do {
            held = try connection.query(
                """
                UPDATE liquidations.asset_claim AS c SET expires_at = now() + make_interval(secs => \(leaseSeconds))
                WHERE c.asset = \(asset) AND c.holder = \(holder) AND \(sql: Self.sessionAlive)
                RETURNING 1
                """, name: "claims.verify"
            ).rows.count == 1
        } catch {
            throw StoreError.wrap(error, "checking the claim on \(asset)")
        }
        guard held else { throw .claimLost(asset) }
    }

    /// In the transaction recording a failure: nobody else holds the asset.
    public func nobodyElseHolds(_ asset: AssetCode, on connection: isolated PostgresConnection) throws -> Bool {
        try connection.query(
            """
            SELECT NOT EXISTS (
                SELECT 1 FROM liquidations.asset_claim AS c
                WHERE c.asset = \(asset) AND c.holder <> \(holder) AND c.expires_at >= now() AND \(sql: Self.sessionAlive))
            """, name: "claims.others"
        ).scalar(Bool.self)
    }

    public func release(_ asset: AssetCode, on connection: PostgresConnection) async throws {
        try await storeOperation("releasing \(asset)") {
            _ = try await connection.query(
                "DELETE FROM liquidations.asset_claim WHERE asset = \(asset) AND holder = \(holder)", name: "claims.release")
        }
    }

    public func releaseAll(on connection: PostgresConnection) async throws {
        try await storeOperation("releasing the claims of \(holder)") {
            _ = try await connection.query("DELETE FROM liquidations.asset_claim WHERE holder = \(holder)", name: "claims.release-all")
        }
    }
}
