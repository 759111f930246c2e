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
public struct MigrationRunner: Sendable {
    public let connection: PostgresConnection
    public let migrations: [Migration]
    let logger: Logger

    /// The migration lock's key: the same in every process and release (FNV-1a of its name).
    static let lockKey = Int64(bitPattern: FNV1a.hash("liqsync.migrate"))

    public init(connection: PostgresConnection, migrations: [Migration], logger: Logger) {
        self.connection = connection
        self.migrations = migrations
        self.logger = logger
    }

    /// What `migrate` would do, or did.
    public struct Plan: Sendable, Equatable {
        public var applied: [String]
        public var pending: [String]
    }

    /// Applies every pending migration (or, with `dryRun`, only says which are pending).
    public func migrate(dryRun: Bool = false) async throws -> Plan {
        if dryRun { return Plan(applied: [], pending: try await pendingMigrations().map(\.fileName)) }
        try await storeOperation("creating the migrations table") {
            try await connection.withTransaction { connection in
                try takeLock(connection)
                try connection.execute(script: Self.bootstrapSQL, label: "migrations bootstrap")
            }
        }
        let pending = try await pendingMigrations()
        let checksums = try await checksums(of: pending)
        var done: [String] = []
        for (migration, checksum) in zip(pending, checksums) {
            do {
                let applied = try await connection.withTransaction { connection in
                    try takeLock(connection)
                    // Another liqsync may have applied it while this one waited for the lock.
                    guard try !connection.query(
                        "SELECT EXISTS (SELECT 1 FROM liquidations.schema_migrations WHERE version = \(migration.version))",
                        name: "migration applied"
                    ).scalar(Bool.self) else { return false }
                    logger.info("applying migration \(migration.fileName)")
                    try connection.execute(script: migration.sql, label: migration.fileName)
                    try connection.query(
                        """
                        INSERT INTO liquidations.schema_migrations (version, file_name, checksum)
                        VALUES (\(migration.version), \(migration.fileName), \(checksum))
                        """, name: "record migration")
                    return true
                }
                if applied { done.append(migration.fileName) }
            } catch let error as PostgresError {
                throw StoreError.migrationFailed(fileName: migration.fileName, error)
            }
        }
        return Plan(applied: done, pending: [])
    }

    /// In a migration's transaction: the migration lock, for that transaction only (so it holds
    /// through a transaction pooler, whose next transaction may run on another server session),
    /// waited for without the sync path's statement deadline (an index over a large table may
    /// take longer than it). lock_timeout stays, so a migration waiting behind a long query gives
    /// up rather than blocking every reader behind it.
    private func takeLock(_ connection: isolated PostgresConnection) throws {
        try connection.execute(script: "SET LOCAL statement_timeout = 0", label: "migration settings")
        if try !connection.tryTransactionAdvisoryLock(Self.lockKey) {
            logger.notice("another liqsync is migrating this database; waiting for it to finish")
            try connection.transactionAdvisoryLock(Self.lockKey)
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
            guard fileChecksum == record.checksum else {
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
