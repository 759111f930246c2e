import LiquidationModel
import Logging
import Postgres

/// Brings the database schema up to date with the migrations embedded in this binary.
///
/// Safe to run from several processes at once, directly or through a pooler: an advisory lock
/// taken in each migration's transaction serializes them, and the one that waited finds nothing
/// left to do. Each migration runs in its own transaction together
/// with its row in `liquidations.schema_migrations` (version, file name, SHA-256 of the text),
/// so a failed migration leaves no trace. A file edited after it was applied is refused.
///
/// Readers of the views never wait on a migration for longer than `lockTimeout`: a statement
/// that needs a lock the readers hold (a view replaced, a table altered) waits for it that long
/// (and the readers who come after it wait behind it), then its migration rolls back and is
/// tried again after a pause, until `retryFor` has passed. A file marked to run outside a
/// transaction (`Migration.runsInTransaction`: indexes built `CONCURRENTLY`) runs statement by
/// statement, holding no lock a reader or a writer waits for; one cut short is resumed: an index
/// its interrupted build left invalid is dropped and built again.
public struct MigrationRunner: Sendable {
    public let connection: PostgresConnection
    public let migrations: [Migration]
    let logger: Logger
    /// How long a migration's statement waits for a lock before its migration rolls back to let
    /// the readers queued behind it go on, and is tried again.
    public var lockTimeout: Duration
    /// How long the runner keeps trying to get its locks before it gives up (`migrationBlocked`).
    public var retryFor: Duration

    /// The migration lock's key: the same in every process and release (FNV-1a of its name).
    static let lockKey = Int64(bitPattern: FNV1a.hash("liqsync.migrate"))

    public static let defaultLockTimeout: Duration = .seconds(5)
    public static let defaultRetryFor: Duration = .seconds(900)

    public init(
        connection: PostgresConnection, migrations: [Migration], logger: Logger, lockTimeout: Duration = defaultLockTimeout,
        retryFor: Duration = defaultRetryFor
    ) {
        self.connection = connection
        self.migrations = migrations
        self.logger = logger
        self.lockTimeout = lockTimeout
        self.retryFor = retryFor
    }

    /// What `migrate` would do, or did.
    public struct Plan: Sendable, Equatable {
        public var applied: [String]
        public var pending: [String]
        /// How long each of `applied` took, in seconds, in the same order.
        public var seconds: [Double] = []
    }

    /// Applies every pending migration (or, with `dryRun`, only says which are pending).
    public func migrate(dryRun: Bool = false) async throws -> Plan {
        if dryRun { return Plan(applied: [], pending: try await pendingMigrations().map(\.fileName)) }
        try await storeOperation("creating the migrations table") {
            try await underTheMigrationLock { connection in
                try connection.execute(script: Self.bootstrapSQL, label: "migrations bootstrap")
            }
        }
        let pending = try await pendingMigrations()
        let checksums = try await checksums(of: pending)
        var plan = Plan(applied: [], pending: [])
        for (migration, checksum) in zip(pending, checksums) {
            let started = ContinuousClock.now
            let applied = try await retryingLockTimeouts(migration) {
                migration.runsInTransaction
                    ? try await applyInTransaction(migration, checksum: checksum)
                    : try await applyOutsideTransaction(migration, checksum: checksum)
            }
            guard applied else { continue }
            let seconds = started.duration(to: .now).inSeconds
            logger.info("applied migration \(migration.fileName)", metadata: ["seconds": "\((seconds * 10).rounded() / 10)"])
            plan.applied.append(migration.fileName)
            plan.seconds.append(seconds)
        }
        return plan
    }

    /// Runs `apply` until it gets its locks: a lock timeout (or a deadlock) means readers held
    /// what the migration needs; it rolled back, and is tried again after a pause (1 s, doubling
    /// up to 30 s) until `retryFor` has passed. Any other error fails the migration.
    private func retryingLockTimeouts(_ migration: Migration, _ apply: () async throws -> Bool) async throws -> Bool {
        let started = ContinuousClock.now
        var pause = Duration.seconds(1)
        while true {
            do {
                return try await apply()
            } catch let error as PostgresError {
                let state = error.sqlState
                guard state == PostgresError.SQLState.lockNotAvailable || state == "40P01" else {
                    throw StoreError.migrationFailed(fileName: migration.fileName, error)
                }
                let waited = started.duration(to: .now)
                guard waited + pause <= retryFor else {
                    throw StoreError.migrationBlocked(fileName: migration.fileName, waited: waited, error)
                }
                logger.notice(
                    "migration \(migration.fileName) waits for sessions that hold what it needs; trying again",
                    metadata: ["error": "\(error)", "pause_s": "\(pause.components.seconds)"])
                try await Task.sleep(for: pause)
                pause = min(pause * 2, .seconds(30))
            }
        }
    }

    /// One transaction: the migration lock, the migration's statements with `lockTimeout`, its
    /// row. False when another liqsync applied it meanwhile.
    private func applyInTransaction(_ migration: Migration, checksum: String) async throws -> Bool {
        let lockTimeout = Self.milliseconds(self.lockTimeout)
        return try await underTheMigrationLock { connection in
            // Another liqsync may have applied it while this one waited for the lock.
            guard try !isApplied(migration, connection) else { return false }
            logger.info("applying migration \(migration.fileName)")
            try connection.execute(script: "SET LOCAL lock_timeout = \(lockTimeout)", label: "migration settings")
            try connection.execute(script: migration.sql, label: migration.fileName)
            try record(migration, checksum: checksum, connection)
            return true
        }
    }

    /// Statement by statement, each on its own (`CREATE INDEX CONCURRENTLY`), then its row.
    /// Behind a pooler in transaction mode no session setting survives: the statements run with
    /// the server's deadlines, and two runners may build at once (every statement can be
    /// repeated, and each checks the end state). On a session of its own the session's
    /// migration lock keeps other runners out, and the statements run without deadlines (they
    /// hold no lock anyone waits for).
    private func applyOutsideTransaction(_ migration: Migration, checksum: String) async throws -> Bool {
        let ownSession = connection.configuration.pooling != .transaction
        if ownSession {
            var announced = false
            while try await !connection.tryAdvisoryLock(Self.lockKey) {
                if !announced { logger.notice("another liqsync is migrating this database; waiting for it to finish") }
                announced = true
                try await Task.sleep(for: .seconds(1))
            }
        }
        do {
            let applied = try await buildOutsideTransaction(migration, checksum: checksum, ownSession: ownSession)
            if ownSession { try await connection.advisoryUnlock(Self.lockKey) }
            return applied
        } catch {
            if ownSession { _ = try? await connection.advisoryUnlock(Self.lockKey) }
            throw error
        }
    }

    private func buildOutsideTransaction(_ migration: Migration, checksum: String, ownSession: Bool) async throws -> Bool {
        guard try await !connection.withTransaction({ try isApplied(migration, $0) }) else { return false }
        logger.info("applying migration \(migration.fileName), statement by statement")
        // What an interrupted build left: an index that is there but not valid, used by nothing.
        for index in try await invalidIndexes() {
            logger.notice("dropping the unfinished index \(index) to build it again")
            try await connection.execute(script: "DROP INDEX CONCURRENTLY IF EXISTS liquidations.\"\(index)\"", label: migration.fileName)
        }
        if ownSession { try await connection.execute(script: "SET statement_timeout = 0; SET lock_timeout = 0", label: "migration settings") }
        do {
            for statement in migration.statements {
                try await connection.execute(script: statement, label: migration.fileName)
            }
        } catch {
            if ownSession { try? await connection.restoreSessionSettings() }
            throw error
        }
        if ownSession { try await connection.restoreSessionSettings() }
        if let unfinished = try await invalidIndexes().first {
            throw StoreError.migrationFailed(
                fileName: migration.fileName,
                PostgresError(code: .server, message: "the index \(unfinished) is not valid: another build of it failed meanwhile"))
        }
        try await connection.withTransaction { connection in
            try connection.query(
                """
                INSERT INTO liquidations.schema_migrations (version, file_name, checksum)
                VALUES (\(migration.version), \(migration.fileName), \(checksum)) ON CONFLICT (version) DO NOTHING
                """, name: "record migration")
        }
        return true
    }

    /// The indexes of the schema a concurrent build left invalid (failed, or still running elsewhere).
    private func invalidIndexes() async throws -> [String] {
        try await connection.query(
            """
            SELECT c.relname FROM pg_index AS i
            JOIN pg_class AS c ON c.oid = i.indexrelid
            JOIN pg_namespace AS n ON n.oid = c.relnamespace
            WHERE n.nspname = 'liquidations' AND NOT i.indisvalid
            ORDER BY c.relname
            """, name: "migration invalid indexes"
        ).rows.map { try $0.decode(String.self, at: 0) }
    }

    private func isApplied(_ migration: Migration, _ connection: isolated PostgresConnection) throws -> Bool {
        try connection.query(
            "SELECT EXISTS (SELECT 1 FROM liquidations.schema_migrations WHERE version = \(migration.version))",
            name: "migration applied"
        ).scalar(Bool.self)
    }

    private func record(_ migration: Migration, checksum: String, _ connection: isolated PostgresConnection) throws {
        try connection.query(
            """
            INSERT INTO liquidations.schema_migrations (version, file_name, checksum)
            VALUES (\(migration.version), \(migration.fileName), \(checksum))
            """, name: "record migration")
    }

    private static func milliseconds(_ duration: Duration) -> Int64 {
        max(1, duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000)
    }

    /// Runs `body` in a transaction that holds the migration lock (for that transaction only, so
    /// it holds through a transaction pooler, whose next transaction may run on another server
    /// session), without the sync path's statement deadline (a migration over a large table may
    /// take longer than it). While another liqsync holds the lock, the transaction ends at once
    /// and is tried again a second later: waiting inside it would hold a snapshot that an index
    /// built concurrently by the other waits for.
    private func underTheMigrationLock<T: Sendable>(
        _ body: @Sendable (isolated PostgresConnection) throws -> T
    ) async throws -> T {
        var announced = false
        while true {
            let result: T? = try await connection.withTransaction { connection in
                try connection.execute(script: "SET LOCAL statement_timeout = 0", label: "migration settings")
                guard try connection.tryTransactionAdvisoryLock(Self.lockKey) else { return nil }
                return try body(connection)
            }
            if let result { return result }
            if !announced { logger.notice("another liqsync is migrating this database; waiting for it to finish") }
            announced = true
            try await Task.sleep(for: .seconds(1))
        }
    }

    /// The pending migrations, checking applied ones for edits; changes nothing.
    public func pendingMigrations() async throws -> [Migration] {
        let applied = try await appliedMigrations()
        return try await pending(given: applied)
    }

    /// Throws `schemaNotMigrated` unless every embedded migration is applied.
    public func requireUpToDate() async throws {
        let pending = try await pendingMigrations()
        guard pending.isEmpty else { throw StoreError.schemaNotMigrated(pending: pending.map(\.fileName)) }
    }

    private struct AppliedMigration {
        let version: Int
        let fileName: String
        let checksum: String
    }

    private func appliedMigrations() async throws -> [AppliedMigration] {
        try await storeOperation("reading applied migrations") {
            let exists = try await connection.query(
                "SELECT to_regclass('liquidations.schema_migrations') IS NOT NULL", name: "migrations table exists"
            ).scalar(Bool.self)
            guard exists else { return [] }
            let rows = try await connection.query(
                "SELECT version, file_name, checksum FROM liquidations.schema_migrations ORDER BY version"
                    , name: "read applied migrations"
            ).rows
            return try rows.map { row in
                let (version, fileName, checksum) = try row.decode(Int.self, String.self, String.self)
                return AppliedMigration(version: version, fileName: fileName, checksum: checksum)
            }
        }
    }

    private func pending(given applied: [AppliedMigration]) async throws -> [Migration] {
        let byVersion = Dictionary(uniqueKeysWithValues: migrations.map { ($0.version, $0) })
        var knownApplied: [(AppliedMigration, Migration)] = []
        for record in applied {
            guard let migration = byVersion[record.version] else {
                throw StoreError.unknownAppliedMigration(version: record.version, name: record.fileName)
            }
            knownApplied.append((record, migration))
        }
        let fileChecksums = try await checksums(of: knownApplied.map(\.1))
        for ((record, migration), fileChecksum) in zip(knownApplied, fileChecksums) {
            guard fileChecksum == record.checksum || Self.earlierLandedChecksums[record.version]?.contains(record.checksum) == true
            else {
                throw StoreError.migrationEdited(
                    fileName: migration.fileName, appliedChecksum: record.checksum, fileChecksum: fileChecksum)
            }
        }
        let appliedVersions = Set(applied.map(\.version))
        let newest = applied.map(\.version).max() ?? 0
        let pending = migrations.filter { !appliedVersions.contains($0.version) }
        if let stray = pending.first(where: { $0.version < newest }) {
            throw StoreError.migrationOutOfOrder(fileName: stray.fileName, newestApplied: newest)
        }
        return pending
    }

    /// The checksums of texts a migration landed with before its present one, by version: a
    /// database that applied one of them is not refused as edited. Only where a later migration
    /// brings every text to the same schema: 0015 landed first with a trigger per row, then with
    /// statement-level triggers, and 0016 makes the statement-level triggers either way.
    public static let earlierLandedChecksums: [Int: Set<String>] = [
        15: ["53858161e30dd2481f5cee48409de659506c99636af6cd0884df87fc887cd50d"]
    ]

    /// SHA-256 of each file's text, computed by PostgreSQL (no crypto library needed here).
    private func checksums(of migrations: [Migration]) async throws -> [String] {
        guard !migrations.isEmpty else { return [] }
        return try await storeOperation("computing migration checksums") {
            let texts = migrations.map(\.sql)
            return try await connection.query(
                """
                SELECT encode(sha256(convert_to(file.sql, 'UTF8')), 'hex')
                FROM unnest(\(texts)::text[]) WITH ORDINALITY AS file(sql, position)
                ORDER BY file.position
                """, name: "migration checksums"
            ).rows.map { try $0.decode(String.self, at: 0) }
        }
    }

    /// The one table migrations need before the first migration can be recorded.
    static let bootstrapSQL = """
        CREATE SCHEMA IF NOT EXISTS liquidations;
        CREATE TABLE IF NOT EXISTS liquidations.schema_migrations (
            version    integer     PRIMARY KEY,
            file_name  text        NOT NULL,
            checksum   text        NOT NULL,
            applied_at timestamptz NOT NULL DEFAULT now()
        );
        COMMENT ON TABLE liquidations.schema_migrations IS
            'Migrations applied by liqsync migrate: version, file, SHA-256 of its text.';
        """
}
