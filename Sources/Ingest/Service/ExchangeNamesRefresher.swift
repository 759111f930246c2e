import KaikoAPI
import LiquidationStore
import Logging
import Postgres
import ServiceLifecycle

/// Keeps exchange names current from Kaiko's reference data: once at start, then every
/// `interval` (a day). A failure is logged and the names stored stay (the list liqsync shipped is
/// the fallback): names are a nicety, never a reason to stop syncing.
public struct ExchangeNamesRefresher: Service {
    public let reference: ReferenceData
    public let pool: ConnectionPool
    public let interval: Duration
    public let logger: Logger

    public init(reference: ReferenceData, pool: ConnectionPool, interval: Duration = .seconds(86_400), logger: Logger) {
        self.reference = reference
        self.pool = pool
        self.interval = interval
        self.logger = logger
    }

    /// Reads the names and stores them.
    public func refreshOnce() async throws -> ExchangeNames.Update {
        let listed = try await reference.exchanges()
        return try await pool.withConnection { connection in
            try await ExchangeNames.update(listed.map { ($0.code, $0.name) }, on: connection)
        }
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                let update = try await refreshOnce()
                logger.info("exchange names refreshed", metadata: ["renamed": "\(update.renamed)", "added": "\(update.added)"])
            } catch {
                if Task.isCancelled { return }
                logger.warning("cannot refresh exchange names; keeping the stored ones", metadata: ["error": "\(error)"])
            }
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            } catch {
                return
            }
        }
    }
}
