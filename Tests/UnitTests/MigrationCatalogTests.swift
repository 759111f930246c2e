import LiquidationModel
import Testing

@testable import LiquidationStore

@Suite("Migrations embedded in the binary")
struct MigrationCatalogTests {
    @Test func embeddedMigrationsAreNumberedInOrderAndStartAtOne() throws {
        let migrations = try Migration.embedded()
        #expect(migrations.first?.fileName == "0001_initial.sql")
        #expect(migrations.map(\.version) == Array(1...migrations.count))
        #expect(migrations[0].sql.contains("CREATE VIEW liquidations.hourly"))
    }

    @Test(arguments: ["initial.sql", "0001-initial.sql", "0001_initial.txt", "0000_zero.sql", "_x.sql"])
    func badFileNamesAreRefused(_ name: String) {
        #expect(throws: StoreError.self) { try Migration(fileName: name, sql: "SELECT 1;") }
    }

    /// Every release takes the same migration lock, so that an older and a newer liqsync
    /// migrating one database at once still take turns: the key may never drift.
    @Test func theMigrationLockKeyIsTheOneEveryReleaseTakes() {
        #expect(MigrationRunner.lockKey == 5_477_009_473_481_642_897)
        // FNV-1a of nothing is its offset basis.
        #expect(FNV1a.hash("") == 0xcbf2_9ce4_8422_2325)
    }

    @Test func emptyFileIsRefused() {
        #expect(throws: StoreError.self) { try Migration(fileName: "0002_empty.sql", sql: " \n\t") }
    }
}
