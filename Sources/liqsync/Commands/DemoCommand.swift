import ArgumentParser
import CommandLineSupport
import FoundationEssentials
import Glibc

/// `liqsync demo`: hands over to the `liqsync-demo` program built beside this binary, which
/// carries the stand-in API (production binaries do not).
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo", abstract: DemoOptions.abstract,
        discussion: DemoOptions.discussion + " Runs the liqsync-demo program next to this binary (scripts/demo builds both).")

    @OptionGroup var options: DemoOptions

    func run() throws {
        let own = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        let demo = own.deletingLastPathComponent().appendingPathComponent("liqsync-demo").path
        guard FileManager.default.isExecutableFile(atPath: demo) else {
            throw CommandFailure(
                "the demo is a program of its own, liqsync-demo, and it is not next to this liqsync (\(demo)); "
                    + "from the source tree, run scripts/demo", status: .unavailable)
        }
        let arguments = [demo] + options.arguments
        let argv = arguments.map { strdup($0) } + [nil]
        execv(demo, argv)
        // Only reached when exec failed.
        throw CommandFailure("could not start \(demo): \(String(cString: strerror(errno)))", status: .osError)
    }
}
