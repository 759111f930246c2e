import Foundation
import Testing
import TestSupport

/// The parts of a production set-up, from Debian's packages, started for one test and stopped
/// after it: a PgBouncer, a test CA and the certificates it signs, an HTTPS stand-in for the API
/// (socat terminating TLS in front of fake-kaiko), and an egress proxy (tinyproxy).

/// A PgBouncer in front of the shared test cluster (`scripts/pg-cluster pooler`).
struct Pooler: Sendable {
    let directory: URL
    let port: String

    /// `database`, reached through the pooler.
    func route(_ database: TestDatabase) -> TestDatabase {
        TestDatabase(name: database.name, server: "host=127.0.0.1 port=\(port) user=postgres")
    }

    var log: String { (try? String(contentsOf: directory.appendingPathComponent("pgbouncer.log"), encoding: .utf8)) ?? "" }
}

/// Runs `body` with a PgBouncer in `mode` (session or transaction) with `poolSize` server
/// connections, stopped and removed after.
func withPooler<T>(mode: String, poolSize: Int = 20, _ body: (Pooler) async throws -> T) async throws -> T {
    try TestCluster.requireRunning()
    _ = try SystemTools.require("pgbouncer")
    let cluster = try #require(TestCluster.directory)
    return try await withClusterScript(named: "liqsync-pooler", ["pooler"], [cluster, mode, String(poolSize)]) { directory, port in
        try await body(Pooler(directory: directory, port: port))
    }
}

/// A certificate authority of the test's own, and a server certificate it signed for
/// `localhost` and 127.0.0.1; `make` also makes a second, unrelated CA (the wrong one).
struct TestCA: Sendable {
    let directory: URL
    var certificate: String { directory.appendingPathComponent("ca.crt").path }
    var otherCertificate: String { directory.appendingPathComponent("other-ca.crt").path }
    var serverCertificate: String { directory.appendingPathComponent("server.crt").path }
    var serverKey: String { directory.appendingPathComponent("server.key").path }

    static func make() async throws -> TestCA {
        let openssl = try SystemTools.require("openssl")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("liqsync-ca-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let ca = TestCA(directory: directory)
        func run(_ arguments: [String]) async throws {
            let outcome = try await runProcess(openssl, arguments)
            try #require(outcome.status == 0, "openssl \(arguments.first ?? ""): \(outcome.stderr)")
        }
        for (name, subject) in [("ca", "liqsync test CA"), ("other-ca", "an unrelated CA")] {
            try await run([
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=\(subject)",
                "-keyout", directory.appendingPathComponent("\(name).key").path,
                "-out", directory.appendingPathComponent("\(name).crt").path,
            ])
        }
        try await run([
            "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-keyout", ca.serverKey,
            "-out", directory.appendingPathComponent("server.csr").path,
        ])
        let extensions = directory.appendingPathComponent("server.ext")
        try "subjectAltName=DNS:localhost,IP:127.0.0.1\n".write(to: extensions, atomically: true, encoding: .utf8)
        try await run([
            "x509", "-req", "-in", directory.appendingPathComponent("server.csr").path, "-CA", ca.certificate,
            "-CAkey", directory.appendingPathComponent("ca.key").path, "-CAcreateserial", "-days", "2",
            "-extfile", extensions.path, "-out", ca.serverCertificate,
        ])
        return ca
    }

    func remove() { try? FileManager.default.removeItem(at: directory) }
}

/// Waits until something accepts TCP connections on 127.0.0.1:`port`.
func waitForListener(port: Int, timeout: Duration = .seconds(10)) async -> Bool {
    await eventually(timeout: timeout, every: .milliseconds(50)) {
        let socket = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { return false }
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }
}

/// The API over HTTPS: socat terminating TLS with the test CA's server certificate and passing
/// the plain HTTP on to fake-kaiko.
struct HTTPSStandIn: Sendable {
    let process: BackgroundProcess
    let port: Int
    var baseURL: String { "https://localhost:\(port)" }

    static func start(ca: TestCA, forwardingTo fake: FakeKaikoProcess) async throws -> HTTPSStandIn {
        let socat = try SystemTools.require("socat")
        let target = try #require(URL(string: fake.baseURL)?.port)
        let port = try freePort()
        let process = try BackgroundProcess(socat, [
            "OPENSSL-LISTEN:\(port),bind=127.0.0.1,reuseaddr,fork,cert=\(ca.serverCertificate),key=\(ca.serverKey),verify=0",
            "TCP:127.0.0.1:\(target)",
        ])
        try #require(await waitForListener(port: port), "socat did not listen: \(process.text)")
        return HTTPSStandIn(process: process, port: port)
    }

    func stop() { process.signal(SIGKILL) }
}

/// Debian's tinyproxy as the host's only way out: it tunnels (CONNECT) to the given port only,
/// and logs every request it sees.
struct EgressProxy: Sendable {
    let process: BackgroundProcess
    let port: Int
    var url: String { "http://127.0.0.1:\(port)" }

    /// The CONNECT requests it has seen, as "host:port".
    var tunnels: [String] {
        process.text.split(separator: "\n").compactMap { line in
            guard let range = line.range(of: "): CONNECT ") else { return nil }
            return line[range.upperBound...].split(separator: " ").first.map(String.init)
        }
    }

    /// `credentials`: "user password", required from clients when given.
    static func start(allowingConnectTo port: Int, credentials: String? = nil) async throws -> EgressProxy {
        let tinyproxy = try SystemTools.require("tinyproxy")
        let listen = try freePort()
        var configuration = """
            Port \(listen)
            Listen 127.0.0.1
            Timeout 60
            Allow 127.0.0.1
            ConnectPort \(port)
            LogLevel Info
            MaxClients 100

            """
        // As root it must drop to an unprivileged user; as anyone else it stays who it is.
        if getuid() == 0 { configuration += "User nobody\nGroup nogroup\n" }
        if let credentials { configuration += "BasicAuth \(credentials)\n" }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("tinyproxy-\(UUID().uuidString.prefix(8)).conf")
        try configuration.write(to: file, atomically: true, encoding: .utf8)
        let process = try BackgroundProcess(tinyproxy, ["-d", "-c", file.path])
        try #require(await waitForListener(port: listen), "tinyproxy did not listen: \(process.text)")
        return EgressProxy(process: process, port: listen)
    }

    func stop() { process.signal(SIGKILL) }
}
