import Glibc
import LiquidationModel
import LiquidationStore
import Postgres

/// The seam of the one-writer model: how a liqsync takes an asset for itself (one writer per
/// asset), proves in each chunk's transaction that it still has it, and gives it back. Sync,
/// backfill and repair all claim through it (`WindowPipeline`), so the model lives here alone
/// (`TableClaims`).
public protocol AssetClaims: Sendable {
    /// Takes the asset if no other liqsync has it; false at once otherwise.
    func tryClaim(_ asset: AssetCode) async throws -> Bool
    /// In a chunk's transaction: throws `StoreError.claimLost` unless the claim still holds, so
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

/// Claims as rows of `liquidations.asset_claim` (`AssetClaimStore`), taken, renewed and
/// released on the load session's own connection and checked in each chunk's transaction: they
/// need nothing of a session between transactions, so they hold through a transaction pooler.
struct TableClaims: AssetClaims {
    let store: AssetClaimStore
    /// The load session's connection: a killed process's session ends, and its claims with it.
    let session: PostgresConnection

    func tryClaim(_ asset: AssetCode) async throws -> Bool {
        try await store.tryClaim(asset, on: session)
    }

    func verify(_ asset: AssetCode, on connection: isolated PostgresConnection) throws {
        try store.verify(asset, on: connection)
    }

    func mayRecordFailure(of asset: AssetCode, on connection: isolated PostgresConnection) throws -> Bool {
        try store.nobodyElseHolds(asset, on: connection)
    }

    func release(_ asset: AssetCode) async {
        try? await store.release(asset, on: session)
    }

    func releaseAll() async {
        try? await store.releaseAll(on: session)
    }

    /// `host:pid:random`: one load session of one process.
    static func newHolder() -> String {
        var name = [CChar](repeating: 0, count: 256)
        let host = gethostname(&name, name.count) == 0
            ? String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : "unknown-host"
        return "\(host):\(getpid()):" + String(UInt32.random(in: 0...UInt32.max), radix: 16)
    }
}
