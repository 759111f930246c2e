import ArgumentParser
import CommandLineSupport
import LiquidationStore

struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Create or upgrade the database schema.",
        discussion: """
            Applies the migrations built into this binary that the database does not have yet, each \
            in its own transaction, in order. Safe to repeat (nothing to do is not an error) and safe \
            to run from several places at once. Refuses to continue when a migration that was already \
            applied has been edited since.
            """)

    @OptionGroup var global: GlobalOptions

    @Flag(help: "List the migrations that would run, and change nothing.")
    var dryRun = false

    func run() async throws {
        let logger = global.makeLogger()
        let migrations = try Migration.embedded()
        let plan = try await global.withConnection(logger: logger) { connection in
            try await MigrationRunner(connection: connection, migrations: migrations, logger: logger)
                .migrate(dryRun: dryRun)
        }
        if dryRun {
            if plan.pending.isEmpty {
                Console.print("The schema is up to date; nothing would run.")
            } else {
                Console.print("Would apply \(plan.pending.count) migration(s):")
                plan.pending.forEach { Console.print("  \($0)") }
            }
        } else if plan.applied.isEmpty {
            Console.print("The schema is up to date (\(migrations.count) migration(s) applied earlier).")
        } else {
            plan.applied.forEach { Console.print("Applied \($0)") }
            Console.print("The schema is up to date.")
        }
    }
}
