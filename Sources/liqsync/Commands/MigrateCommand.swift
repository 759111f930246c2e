import ArgumentParser
import CommandLineSupport
import LiquidationStore

struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Create or upgrade the database schema.",
        discussion: """
            Applies the migrations built into this binary that the database does not have yet, each \
            in its own transaction (an index over a large table is built concurrently, statement by \
            statement, resumed if interrupted), in order. Safe to repeat (nothing to do is not an error) \
            and safe to run from several places at once. Readers of the views never wait longer than \
            --wait-for-readers: a migration that needs a lock they hold rolls back after that long, lets \
            them go on, and tries again, for --retry-for at most (then exit 75). Refuses to continue when a \
            migration that was already applied has been edited since.
            """)

    @OptionGroup var global: GlobalOptions

    @Flag(help: "List the migrations that would run, and change nothing.")
    var dryRun = false

    @Option(help: ArgumentHelp(
        "How long a migration waits for a lock that sessions reading the data hold (those arriving meanwhile wait "
            + "behind it) before it rolls back and tries again.",
        valueName: "seconds"))
    var waitForReaders = Int(MigrationRunner.defaultLockTimeout.components.seconds)

    @Option(help: ArgumentHelp("How long to keep trying to get a migration's locks before giving up (exit 75).", valueName: "seconds"))
    var retryFor = Int(MigrationRunner.defaultRetryFor.components.seconds)

    func validate() throws {
        guard (1...300).contains(waitForReaders) else { throw ValidationError("--wait-for-readers must be 1 to 300 seconds") }
        guard (0...86_400).contains(retryFor) else { throw ValidationError("--retry-for must be 0 to 86400 seconds") }
    }

    func run() async throws {
        let logger = global.makeLogger()
        let migrations = try Migration.embedded()
        let plan = try await global.withConnection(logger: logger) { connection in
            try await MigrationRunner(
                connection: connection, migrations: migrations, logger: logger, lockTimeout: .seconds(waitForReaders),
                retryFor: .seconds(retryFor)
            ).migrate(dryRun: dryRun)
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
            for (name, seconds) in zip(plan.applied, plan.seconds) {
                Console.print("Applied \(name) (\((seconds * 10).rounded() / 10) s)")
            }
            Console.print("The schema is up to date.")
        }
    }
}
