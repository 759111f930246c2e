import CommandLineSupport
import Foundation

/// A throwaway PostgreSQL cluster for `liqsync demo`, like scripts/pg-cluster: initdb into a
/// directory the user can see and delete, a unix socket in it (no TCP port), run as a non-root
/// user because PostgreSQL refuses root.
struct DemoCluster {
    let directory: URL
    let binDirectory: URL
    let serverUser: String?

    var connectionString: String { "host=\(directory.path) port=5432 user=postgres dbname=postgres" }

    static func locateServer() throws -> URL {
        let root = URL(fileURLWithPath: "/usr/lib/postgresql")
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
        let candidates = versions.compactMap(Int.init).sorted(by: >).map { root.appendingPathComponent("\($0)/bin") }
        guard let bin = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.appendingPathComponent("initdb").path) })
        else {
            throw CommandFailure(
                "no PostgreSQL server found under /usr/lib/postgresql; install it (scripts/install-deps, or apt-get install postgresql) "
                    + "or point liqsync at a database with --database-url", status: .unavailable)
        }
        return bin
    }

    static func start(in directory: URL) async throws -> DemoCluster {
        let bin = try locateServer()
        let isRoot = getuid() == 0
        let user = isRoot ? "liqsync-pg" : nil
        if let user {
            _ = try? await run("/usr/sbin/useradd", ["--system", "--no-create-home", "--shell", "/usr/sbin/nologin", user])
        }
        let fileManager = FileManager.default
        if fileManager.fileExists(atPath: directory.appendingPathComponent("data/PG_VERSION").path) {
            Console.print("  reusing the cluster in \(directory.path)")
        } else {
            try fileManager.createDirectory(at: directory, withIntermediateDirectories: true)
            if let user { _ = try await run("/usr/bin/chown", [user, directory.path]) }
            try await runChecked(bin.appendingPathComponent("initdb").path, [
                "--pgdata=\(directory.path)/data", "--username=postgres", "--auth=trust", "--encoding=UTF8",
                "--locale=C.UTF-8", "--no-sync",
            ], as: user)
            // Trust authentication, so only the socket's owner (and root) may connect; no TCP.
            let settings = """
                listen_addresses = ''
                unix_socket_directories = '\(directory.path)'
                unix_socket_permissions = 0700
                fsync = off
                """
            let conf = directory.appendingPathComponent("data/postgresql.conf")
            let handle = try FileHandle(forWritingTo: conf)
            handle.seekToEndOfFile()
            handle.write(Data(("\n" + settings + "\n").utf8))
            try handle.close()
        }
        let cluster = DemoCluster(directory: directory, binDirectory: bin, serverUser: user)
        // A server left running by an interrupted demo is used as it is.
        let pgCtl = bin.appendingPathComponent("pg_ctl").path
        if try await run(pgCtl, ["--pgdata=\(directory.path)/data", "status"], as: user).status == 0 {
            Console.print("  its server is already running")
            return cluster
        }
        try await runChecked(pgCtl, [
            "--pgdata=\(directory.path)/data", "--log=\(directory.path)/server.log", "--wait", "start",
        ], as: user)
        return cluster
    }

    func stop() async {
        _ = try? await Self.runChecked(binDirectory.appendingPathComponent("pg_ctl").path, [
            "--pgdata=\(directory.path)/data", "--mode=fast", "--wait", "stop",
        ], as: serverUser)
    }

    private static func runChecked(_ executable: String, _ arguments: [String], as user: String?) async throws {
        let (status, output) = try await run(executable, arguments, as: user)
        guard status == 0 else {
            throw CommandFailure("\(URL(fileURLWithPath: executable).lastPathComponent) failed: \(output.suffix(500))", status: .unavailable)
        }
    }

    /// Runs a program as `user` (through runuser), or as ourselves when nil.
    private static func run(_ executable: String, _ arguments: [String], as user: String?) async throws
        -> (status: Int32, output: String)
    {
        guard let user else { return try await run(executable, arguments) }
        return try await run("/usr/sbin/runuser", ["-u", user, "--", executable] + arguments)
    }

    /// Runs a program to its end with posix_spawn and waitpid on a thread of its own. Not
    /// Foundation's Process: it learns of a child's exit through run-loop machinery that never
    /// fired here, leaving `runuser` a zombie and the demo waiting forever.
    @discardableResult
    private static func run(_ executable: String, _ arguments: [String]) async throws -> (Int32, String) {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("liqsync-demo-\(UUID().uuidString).log")
        defer { try? FileManager.default.removeItem(at: log) }
        let status = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Int32, any Error>) in
            Thread.detachNewThread {
                do {
                    continuation.resume(returning: try spawnAndWait(executable, arguments, output: log.path))
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
        // A file, not a pipe: the server that pg_ctl starts keeps its inherited output open.
        return (status, (try? String(contentsOf: log, encoding: .utf8)) ?? "")
    }

    /// What initdb, pg_ctl and the server they start get to see: a path and a locale, nothing of
    /// the caller's environment. The server outlives the command that started it (a demo that
    /// was interrupted leaves it running), and its environment is readable in /proc: it must not
    /// hold KAIKO_API_KEY, DATABASE_URL or PGPASSWORD; and PG* variables meant for clients
    /// (PGPORT, PGDATA, ...) would steer the server elsewhere.
    static let serverEnvironment: [String: String] = [
        "PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
    ]

    /// Adds a close action for every descriptor above stderr: glibc's closefrom action when it
    /// has one (2.34 and later; not in Swift's view of the headers, hence dlsym), else one close
    /// per descriptor open now.
    private static func closeInheritedDescriptors(_ actions: inout posix_spawn_file_actions_t) {
        typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
        if let symbol = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np") {
            _ = unsafeBitCast(symbol, to: AddCloseFrom.self)(&actions, 3)
            return
        }
        let open = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        for descriptor in open.compactMap(Int32.init) where descriptor > 2 {
            posix_spawn_file_actions_addclose(&actions, descriptor)
        }
    }

    private static func spawnAndWait(_ executable: String, _ arguments: [String], output: String) throws -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // Nothing else of ours: the server outlives us, and an inherited descriptor (a pipe a
        // caller waits on for end of file) would stay open as long as it runs.
        closeInheritedDescriptors(&actions)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let environment = serverEnvironment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { environment.forEach { free($0) } }
        var pid = pid_t()
        let spawned = posix_spawn(&pid, executable, &actions, nil, argv, environment)
        guard spawned == 0 else {
            throw CommandFailure("could not start \(executable): \(String(cString: strerror(spawned)))", status: .osError)
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 {
            guard errno == EINTR else { throw CommandFailure("waiting for \(executable) failed: \(String(cString: strerror(errno)))", status: .osError) }
        }
        // WIFEXITED / WEXITSTATUS are macros Swift cannot import.
        let signalled = status & 0x7f != 0
        return signalled ? 128 + (status & 0x7f) : (status >> 8) & 0xff
    }
}
