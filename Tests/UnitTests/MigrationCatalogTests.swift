import LiquidationStore
import Testing

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

    @Test func emptyFileIsRefused() {
        #expect(throws: StoreError.self) { try Migration(fileName: "0002_empty.sql", sql: " \n\t") }
    }
}
