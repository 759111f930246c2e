import Foundation
import Ingest
import KaikoAPI
import LiquidationStore
import Logging
import Postgres

/// The parts `sync` and `run` share: a connection pool, the Kaiko client, the syncer.
struct SyncEngine {
    let pool: ConnectionPool
    let client: KaikoClient
    let pass: SyncPass
    let logger: Logger

    static func start(
        global: GlobalOptions, kaiko: KaikoOptions, sync: SyncOptions, guards: GuardOptions, logger: Logger,
        state: SchedulerState? = nil
    ) async throws -> SyncEngine {
        let configuration = try kaiko.configuration()
        let pool = ConnectionPool(configuration: global.postgresConfiguration(), logger: logger)
        // Refuse to write into a schema this binary does not match.
        try await pool.withConnection { connection in
            try await MigrationRunner(connection: connection, migrations: try Migration.embedded(), logger: logger)
                .requireUpToDate()
        }
        let client = KaikoClient(configuration: configuration, logger: logger)
        let settings = SyncSettings(
            lookbackHours: sync.lookbackHours, settleDelaySeconds: sync.settleDelay, concurrency: sync.concurrency,
            maxVanishingHours: guards.maxVanishingHours)
        let syncer = AssetSyncer(
            client: client, settings: settings, logger: logger, now: try sync.clock(), onProgress: { state?.progressed() })
        return SyncEngine(pool: pool, client: client, pass: SyncPass(syncer: syncer, pool: pool), logger: logger)
    }

    func shutdown() async {
        try? await client.shutdown()
        await pool.closeAll()
    }
}

extension FailureKind {
    var exitStatus: ExitStatus {
        switch self {
        case .temporary: return .temporaryFailure
        case .badData: return .dataError
        case .access: return .noPermission
        case .unknownAsset: return .dataError
        case .configuration: return .configuration
        case .other: return .software
        }
    }
}
