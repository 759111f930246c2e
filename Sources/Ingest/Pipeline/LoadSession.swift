import LiquidationModel
import LiquidationStore
import Logging
import Postgres

/// The database side of loading several assets at once (a sync pass, a backfill, a repair):
/// the claims (`AssetClaims`, taken on one session of the pool), at most `writers` chunks written
/// at a time on pooled connections, each checking its claim in its transaction, and the chunks
/// fetched ahead shared by the assets in progress (`FetchAhead`).
///
/// Why not a connection per asset: an asset in progress waits for the API most of the time;
/// holding a connection each capped requests in flight at the connections (4 by default), and a
/// pass over 200 assets at 300 ms a request took 15 s where Kaiko's budget allows 2 s. Claims
/// cost nothing to hold.
public struct LoadSession: Sendable {
    public let claims: any AssetClaims
    let pool: ConnectionPool
    let writers: AsyncSemaphore
    /// Assets catching up (many chunks) in progress at once (`LoadSettings.assetsCatchingUp`).
    let catchingUp: AsyncSemaphore
    /// Chunks fetched ahead, shared by the assets in progress, as many as hide the API's latency
    /// (`--prefetch` at most).
    public let fetchAhead: FetchAhead

    /// Opens a session (its claims taken and renewed on one pooled connection, every third of
    /// `claimLease`, by a child task that lives as long as the session), runs `body`, and gives
    /// back every claim still held before the connection returns to the pool.
    public static func with<T: Sendable>(
        pool: ConnectionPool, writers: Int, catchingUp: Int? = nil, fetchAhead: FetchAhead,
        claimLease: Duration = LoadSettings.defaultClaimLease, logger: Logger, _ body: @Sendable (LoadSession) async -> T
    ) async throws -> T {
        try await pool.withConnection { claimSession in
            let store = AssetClaimStore(holder: TableClaims.newHolder(), lease: claimLease)
            let session = LoadSession(
                claims: TableClaims(store: store, session: claimSession), pool: pool,
                writers: AsyncSemaphore(permits: writers), catchingUp: AsyncSemaphore(permits: catchingUp ?? writers),
                fetchAhead: fetchAhead)
            let value = await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    while (try? await Task.sleep(for: claimLease / 3)) != nil {
                        do {
                            try await store.renew(on: claimSession)
                        } catch {
                            // The claims expire; chunks refuse to commit without them (`verify`).
                            logger.warning("cannot renew the assets' claims", metadata: ["error": "\(error)"])
                        }
                    }
                }
                let value = await body(session)
                group.cancelAll()
                return value
            }
            await session.claims.releaseAll()
            return value
        }
    }

    /// Runs `body` on a pooled connection, once one of the `writers` permits is free.
    func withWriter<T: Sendable>(_ body: @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        try await writers.withPermit { try await pool.withConnection(body) }
    }

    /// Takes the asset: at once or not at all (`skipIfTaken`), or once whoever has it gives it
    /// back (`waiting`, asked every second; `onWait` is told when the wait starts and ends).
    func claim(_ asset: AssetCode, _ mode: ClaimMode) async throws -> Bool {
        if try await claims.tryClaim(asset) { return true }
        guard case .waiting(let onWait) = mode else { return false }
        onWait(true)
        defer { onWait(false) }
        repeat {
            try await Task.sleep(for: .seconds(1))
        } while try await !claims.tryClaim(asset)
        return true
    }
}

/// What to do when another liqsync has the asset.
public enum ClaimMode: Sendable {
    /// Leave it to that one (a sync pass: it is that process's job right now).
    case skipIfTaken
    /// Wait for it (a backfill or a repair beside a running service).
    case waiting(onWait: @Sendable (Bool) -> Void)
}
