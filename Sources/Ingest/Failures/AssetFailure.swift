import FoundationEssentials
import LiquidationModel
import LiquidationStore
import Logging
import Postgres

/// A failure of an asset's sync or backfill (of a chunk, or before any: taking the lock,
/// reading the asset): what to write down once the asset's lock is released.
struct AssetFailure: Error {
    /// The chunk that failed; nil when none was started.
    let window: HourWindow?
    let startedAt: Date
    let underlying: any Error

    /// Records the failure (the asset's `last_error` and a failed `sync_run`) on a connection
    /// that works. The connection the chunk failed on may be the reason it failed (dropped by
    /// the server, a dead network path): recording on it would fail too and leave `last_error`
    /// empty, so a broken one is reset first, and a failure to record on a connection that only
    /// looked healthy is retried once after a reset.
    ///
    /// `claimedBy` is the session holding the asset's lock for this run (nil: `connection`'s own):
    /// `last_error` is written only while that session still holds it or nobody does, so a run
    /// that lost the asset to another liqsync cannot overwrite that one's success.
    func record(asset: AssetCode, kind: RunKind, claimedBy: Int32? = nil, on connection: PostgresConnection, logger: Logger) async {
        let recorder = RunRecorder()
        let message = "\(underlying)"
        for attempt in 1...2 {
            do {
                if await !connection.isUsable { try await connection.reset() }
                var holder = claimedBy
                if holder == nil { holder = try await connection.sessionID() }
                try await recorder.recordFailure(
                    asset: asset, window: window, kind: kind, error: message, startedAt: startedAt,
                    lock: (AssetLocks.key(for: asset), holder: holder ?? 0), on: connection)
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
