import Foundation

/// What a finished process printed and how it exited.
struct ProcessOutcome: Sendable {
    let status: Int32
    let stdout: String
    let stderr: String
}

/// Runs a program to completion, collecting its output (pipes drained concurrently, so a chatty
/// process cannot block on a full pipe).
func runProcess(
    _ executable: URL, _ arguments: [String], environment: [String: String] = [:], timeout: Duration = .seconds(120)
) async throws -> ProcessOutcome {
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    let stdoutPipe = Pipe()
    let stderrPipe = Pipe()
    process.standardOutput = stdoutPipe
    process.standardError = stderrPipe
    process.standardInput = FileHandle.nullDevice
    try process.run()
    async let stdoutData = readToEnd(stdoutPipe.fileHandleForReading)
    async let stderrData = readToEnd(stderrPipe.fileHandleForReading)
    let deadline = ContinuousClock.now + timeout
    while process.isRunning {
        if ContinuousClock.now > deadline {
            process.terminate()
            throw ProcessTimeout(command: ([executable.path] + arguments).joined(separator: " "))
        }
        try await Task.sleep(for: .milliseconds(20))
    }
    return ProcessOutcome(
        status: process.terminationStatus,
        stdout: String(decoding: await stdoutData, as: UTF8.self),
        stderr: String(decoding: await stderrData, as: UTF8.self))
}

/// Everything `handle` yields until end of file, read on a thread of its own: a blocking read on
/// the cooperative pool (two threads on two cores) would stall every other test while a child,
/// or a grandchild that inherited the pipe, keeps it open.
func readToEnd(_ handle: FileHandle) async -> Data {
    await withCheckedContinuation { continuation in
        Thread.detachNewThread { continuation.resume(returning: handle.readDataToEndOfFile()) }
    }
}

struct ProcessTimeout: Error, CustomStringConvertible {
    let command: String
    var description: String { "timed out: \(command)" }
}

/// The `liqsync` binary built by `swift build` (scripts/test exports its directory).
enum LiqsyncBinary {
    static var url: URL {
        if let directory = ProcessInfo.processInfo.environment["LIQSYNC_BIN_DIR"] {
            return URL(fileURLWithPath: directory).appendingPathComponent("liqsync")
        }
        return TestCluster.repositoryRoot.appendingPathComponent(".build/debug/liqsync")
    }

    /// Runs `liqsync ARGS` against `database`.
    static func run(_ arguments: [String], database: TestDatabase?, environment: [String: String] = [:]) async throws
        -> ProcessOutcome
    {
        var environment = environment
        if let database { environment["DATABASE_URL"] = database.connectionString }
        return try await runProcess(url, arguments, environment: environment)
    }
}

/// Programs from Debian's packages, found on PATH (and in the sbin directories, where
/// pgbouncer lives).
enum SystemTools {
    static func find(_ name: String) -> URL? {
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin") + ":/usr/sbin:/sbin"
        return path.split(separator: ":").map { URL(fileURLWithPath: String($0)).appendingPathComponent(name) }
            .first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }

    /// The program, or an error that says how to get it.
    static func require(_ name: String, package: String? = nil) throws -> URL {
        guard let url = find(name) else {
            throw MissingTool(name: "\(name) (scripts/install-deps installs Debian's \(package ?? name) package)")
        }
        return url
    }
}
