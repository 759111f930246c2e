import ArgumentParser
import CommandLineSupport
import Ingest
import LiquidationStore
import Postgres
import Testing

@testable import liqsync

@Suite("liqsync command line: parsing and exit codes, without running anything")
struct CommandLineParsingTests {
    @Test func assetsAddTakesSeveralAssetsAndASince() throws {
        let command = try Liqsync.parseAsRoot(["assets", "add", "btc", "eth", "--since", "2025-01-08"])
        let add = try #require(command as? AssetsCommand.Add)
        #expect(add.assets.map(\.rawValue) == ["btc", "eth"])
        #expect(add.since?.hour.description == "2025-01-08T00:00:00Z")
    }

    @Test func invalidAssetIsAValidationError() {
        #expect(throws: (any Error).self) { try Liqsync.parseAsRoot(["assets", "add", "BTC"]) }
        #expect(Liqsync.exitCode(for: ValidationError("x")).rawValue == 64)
    }

    @Test func prefetchIsParsedForSyncRunAndBackfillAndBounded() throws {
        let sync = try #require(try Liqsync.parseAsRoot(["sync", "--prefetch", "0"]) as? SyncCommand)
        #expect(sync.settings.prefetchChunks == 0)
        let run = try #require(try Liqsync.parseAsRoot(["run"]) as? RunCommand)
        #expect(run.settings.prefetchChunks == LoadSettings.defaultPrefetchChunks)
        let backfill = try #require(
            try Liqsync.parseAsRoot(["backfill", "btc", "--from", "2025-03-01", "--prefetch", "5"]) as? BackfillCommand)
        #expect(backfill.load.prefetch == 5)
        expectRefused(
            [["sync", "--prefetch", "257"], ["backfill", "btc", "--from", "2025-03-01", "--prefetch", "1000"]],
            saying: "--prefetch must be between 0 and 256")
    }

    @Test func prefetchMemoryBoundsTheBytesInMiB() throws {
        let backfill = try #require(
            try Liqsync.parseAsRoot(["backfill", "btc", "--from", "2025-03-01", "--prefetch-memory", "32"]) as? BackfillCommand)
        #expect(backfill.ingest.settings(load: backfill.load).maxHeldBytes == 32 << 20)
        let sync = try #require(try Liqsync.parseAsRoot(["sync"]) as? SyncCommand)
        #expect(sync.settings.maxHeldBytes == LoadSettings.defaultMaxHeldBytes)
        expectRefused(
            [["sync", "--prefetch-memory", "0"], ["backfill", "btc", "--from", "2025-03-01", "--prefetch-memory", "5000"]],
            saying: "--prefetch-memory must be between 1 and 4096 MiB")
    }

    /// Each command line is refused as a usage error (exit 64) whose message says `message`.
    func expectRefused(_ commandLines: [[String]], saying message: String) {
        for arguments in commandLines {
            do {
                _ = try Liqsync.parseAsRoot(arguments)
                Issue.record("accepted \(arguments)")
            } catch {
                #expect(Liqsync.message(for: error).contains(message), "\(error)")
                #expect(Liqsync.exitCode(for: error).rawValue == 64)
            }
        }
    }

    @Test func requestsInFlightIsParsedForSyncAndRunAndBounded() throws {
        let sync = try #require(try Liqsync.parseAsRoot(["sync", "--requests-in-flight", "64"]) as? SyncCommand)
        #expect(sync.settings.requestsInFlight == 64)
        let run = try #require(try Liqsync.parseAsRoot(["run"]) as? RunCommand)
        #expect(run.settings.requestsInFlight == LoadSettings.defaultRequestsInFlight)
        expectRefused(
            [["sync", "--requests-in-flight", "0"], ["run", "--requests-in-flight", "257"]],
            saying: "--requests-in-flight must be between 1 and 256")
    }

    @Test func databaseURLOptionWinsOverTheEnvironment() throws {
        let command = try Liqsync.parseAsRoot(["migrate", "--database-url", "dbname=a", "--dry-run"])
        let migrate = try #require(command as? MigrateCommand)
        #expect(migrate.dryRun)
        #expect(migrate.global.postgresConfiguration(environment: ["DATABASE_URL": "dbname=b"]).connectionString == "dbname=a")
        let plain = try #require(try Liqsync.parseAsRoot(["migrate"]) as? MigrateCommand)
        #expect(plain.global.postgresConfiguration(environment: ["DATABASE_URL": "dbname=b"]).connectionString == "dbname=b")
        #expect(plain.global.postgresConfiguration(environment: [:]).connectionString == nil)
    }

    @Test func errorsMapToSysexits() {
        #expect(ErrorReport.status(for: PostgresError(code: .connectionFailed, message: "x")) == .unavailable)
        #expect(ErrorReport.status(for: PostgresError(code: .connectionLost, message: "x")) == .temporaryFailure)
        #expect(ErrorReport.status(for: PostgresError(code: .server, message: "x", sqlState: "42501")) == .noPermission)
        #expect(ErrorReport.status(for: PostgresError(code: .server, message: "x", sqlState: "40P01")) == .temporaryFailure)
        #expect(ErrorReport.status(for: PostgresError(code: .server, message: "x", sqlState: "22003")) == .software)
        #expect(ErrorReport.status(for: StoreError.schemaNotMigrated(pending: ["0001_initial.sql"])) == .configuration)
        #expect(
            ErrorReport.status(
                for: StoreError.migrationFailed(
                    fileName: "0002.sql", PostgresError(code: .server, message: "x", sqlState: "57P01")))
                == .temporaryFailure)
    }
}
