import FoundationEssentials
import LiquidationModel
import LiquidationStore
import Logging
import Postgres

/// A failure of an asset's sync or backfill (of a chunk, or before any: taking the claim,
/// planning): what to write down before the asset's claim is released.
struct AssetFailure: Error {
    /// The chunk that failed; nil when none was started.
    let window: HourWindow?
    let startedAt: Date
    let underlying: any Error

    /// Records the failure (the asset's `last_error` and a failed `sync_run`) on a connection
    /// that works. The connection the chunk failed on may be the reason it failed (dropped by
    /// the server, a dead network path): recording on it would fail too and leave `last_error`
    /// empty, so a broken one is reset first, and a failure to record on a connection that only
    /// looked healthy is retried once after a reset. The asset's state is written only where
    /// `claims` allow it (the claim still holds, or nobody has the asset).
    func record(asset: AssetCode, kind: RunKind, claims: any AssetClaims, on connection: PostgresConnection, logger: Logger) async {
        let recorder = RunRecorder()
        let message = "\(underlying)"
        for attempt in 1...2 {
            do {
                if await !connection.isUsable { try await connection.reset() }
                try await recorder.recordFailure(
                    asset: asset, window: window, kind: kind, error: message, startedAt: startedAt,
                    mayWriteState: { connection in try claims.mayRecordFailure(of: asset, on: connection) }, on: connection)
                return
            } catch {
                // A connection that only looked healthy: a new session, and once more.
                if attempt == 1, (try? await connection.reset()) != nil { continue }
                logger.error("cannot record the failure", metadata: ["asset": "\(asset)", "error": "\(error)"])
                return
            }
        }
    }
}
