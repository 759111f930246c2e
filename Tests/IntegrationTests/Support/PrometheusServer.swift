import AsyncHTTPClient
import Foundation

/// Debian's Prometheus tools, found on PATH (scripts/install-deps installs the `prometheus`
/// package, which brings `promtool`).
enum PrometheusTools {
    static func find(_ name: String) -> URL? { SystemTools.find(name) }

    static var available: Bool { find("prometheus") != nil && find("promtool") != nil }
    static let missing = "prometheus and promtool are not installed (scripts/install-deps installs Debian's prometheus package)"

    /// Runs `promtool ARGS` in `directory`; stdin from `input` when given.
    static func promtool(_ arguments: [String], input: String? = nil) async throws -> ProcessOutcome {
        let promtool = try require_(find("promtool"), "promtool")
        guard let input else { return try await runProcess(promtool, arguments) }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("promtool-\(UUID().uuidString.prefix(8))")
        try input.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        return try await runProcess(
            URL(fileURLWithPath: "/bin/sh"), ["-c", "exec \"$0\" \"$@\" < \"$PROMTOOL_INPUT\"", promtool.path] + arguments,
            environment: ["PROMTOOL_INPUT": file.path])
    }
}

/// A value that must be there, or an error naming it.
func require_<T>(_ value: T?, _ what: String) throws -> T {
    guard let value else { throw MissingTool(name: what) }
    return value
}

struct MissingTool: Error, CustomStringConvertible {
    let name: String
    var description: String { "\(name) not found on PATH" }
}

/// A port nobody is bound to right now, below the kernel's ephemeral range (as scripts/pg-cluster
/// picks them): a port from that range can be handed to any process binding port 0 (the suite
/// starts many) before the server this port is for binds it.
func freePort() throws -> Int {
    let ephemeralStart = (try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8))
        .flatMap { $0.split(whereSeparator: \.isWhitespace).first.flatMap { Int($0) } }
        .flatMap { $0 > 12_000 ? $0 : nil } ?? 32_768
    for _ in 0..<100 {
        let port = Int.random(in: 10_000..<ephemeralStart)
        let socket = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw POSIXError(.EMFILE) }
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
        if bound { return port }
    }
    throw POSIXError(.EADDRINUSE)
}

/// A real Prometheus server on a free port, with a generated configuration, its own storage
/// directory, and what tests ask of its HTTP API.
struct PrometheusServer: Sendable {
    let process: BackgroundProcess
    let directory: URL
    let baseURL: String

    struct Sample: Sendable {
        let labels: [String: String]
        let value: Double
    }

    struct Alert: Sendable {
        let name: String
        let labels: [String: String]
        let state: String
    }

    /// Starts Prometheus with `configuration` (YAML) and the files it names, written into a
    /// fresh directory; waits until it serves requests.
    static func start(configuration: String, files: [String: String] = [:]) async throws -> PrometheusServer {
        let prometheus = try require_(PrometheusTools.find("prometheus"), "prometheus")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("liqsync-prom-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for (name, text) in files { try text.write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8) }
        let config = directory.appendingPathComponent("prometheus.yml")
        try configuration.write(to: config, atomically: true, encoding: .utf8)
        let port = try freePort()
        let process = try BackgroundProcess(
            prometheus,
            [
                "--config.file=\(config.path)", "--storage.tsdb.path=\(directory.appendingPathComponent("data").path)",
                "--web.listen-address=127.0.0.1:\(port)", "--web.enable-lifecycle",
            ])
        let server = PrometheusServer(process: process, directory: directory, baseURL: "http://127.0.0.1:\(port)")
        guard await process.waitForOutput(containing: "Server is ready to receive web requests", timeout: .seconds(60)) != nil else {
            server.stop()
            throw ProcessTimeout(command: "prometheus did not start: \(process.text.suffix(2000))")
        }
        return server
    }

    /// Kills the server (its data is a throwaway) and removes its directory.
    func stop() {
        process.signal(SIGKILL)
        try? FileManager.default.removeItem(at: directory)
    }

    /// An instant query; throws with Prometheus's message when the expression is not valid.
    func query(_ expression: String) async throws -> [Sample] {
        let data = try await get("/api/v1/query?query=" + (expression.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""))
        guard let result = (data["data"] as? [String: Any])?["result"] as? [[String: Any]] else { return [] }
        return result.compactMap { entry in
            guard let labels = entry["metric"] as? [String: String], let value = entry["value"] as? [Any],
                  value.count == 2, let text = value[1] as? String, let number = Double(text)
            else { return nil }
            return Sample(labels: labels, value: number)
        }
    }

    /// The alerts pending or firing now.
    func alerts() async throws -> [Alert] {
        let data = try await get("/api/v1/alerts")
        guard let alerts = (data["data"] as? [String: Any])?["alerts"] as? [[String: Any]] else { return [] }
        return alerts.compactMap { alert in
            guard let labels = alert["labels"] as? [String: String], let state = alert["state"] as? String,
                  let name = labels["alertname"]
            else { return nil }
            return Alert(name: name, labels: labels, state: state)
        }
    }

    private func get(_ path: String) async throws -> [String: Any] {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: baseURL + path), timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 16 << 20)
        let object = try JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any] ?? [:]
        guard object["status"] as? String == "success" else {
            throw PrometheusQueryError(path: path, message: "\(object["errorType"] ?? "?"): \(object["error"] ?? "no message")")
        }
        return object
    }
}

struct PrometheusQueryError: Error, CustomStringConvertible {
    let path: String
    let message: String
    var description: String { "Prometheus refused \(path.removingPercentEncoding ?? path): \(message)" }
}
