import ArgumentParser
import CommandLineSupport
import FoundationEssentials
import Glibc

/// The `liqsync` command line.
struct Liqsync: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "liqsync",
        abstract: "Keep PostgreSQL up to date with Kaiko's token-level liquidation volumes.",
        discussion: """
            Database: --database-url, else $DATABASE_URL, else libpq's PG* variables and ~/.pgpass.
            Exit codes follow sysexits: 64 usage, 65 bad data, 69 unavailable, 70 internal error, 71 OS error, \
            75 temporary failure, 77 no permission, 78 configuration.
            """,
        version: Release.version,
        subcommands: [
            MigrateCommand.self, AssetsCommand.self, SyncCommand.self, RunCommand.self, StatusCommand.self,
            BackfillCommand.self, VerifyCommand.self, ReconcileCommand.self, ExchangesCommand.self, DemoCommand.self,
        ])
}

@main
enum LiqsyncMain {
    static func main() async {
        let status = await run(Array(CommandLine.arguments.dropFirst()))
        exit(status)
    }

    /// Parses and runs one command line; returns the process exit status.
    static func run(_ arguments: [String]) async -> Int32 {
        let command: any ParsableCommand
        do {
            command = try Liqsync.parseAsRoot(arguments)
        } catch {
            // Help, version and usage errors: ArgumentParser prints them and picks the status (64).
            Liqsync.exit(withError: error)
        }
        do {
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                var syncCommand = command
                try syncCommand.run()
            }
            return ExitStatus.success.rawValue
        } catch let exitCode as ExitCode {
            return exitCode.rawValue
        } catch where [.success, .validationFailure].contains(Liqsync.exitCode(for: error)) {
            // `liqsync SUBCOMMAND --help` parses to a help command whose run throws the request;
            // ArgumentParser prints the help (or the usage error) and exits as it should.
            Liqsync.exit(withError: error)
        } catch {
            Console.printError("liqsync: error: \(ErrorReport.message(for: error))")
            return ErrorReport.status(for: error).rawValue
        }
    }
}
