import ArgumentParser
import Hummingbird
import Ingest
import Logging
import NIOCore
import Prometheus
import ServiceLifecycle

struct MetricsAddress: Sendable {
    let host: String
    let port: Int

    init(_ text: String) throws {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
              (0...65535).contains(port)
        else { throw ValidationError("--metrics-address must be host:port, e.g. 127.0.0.1:9464") }
        var host = text[..<colon]
        if host.first == "[", host.last == "]" { host = host.dropFirst().dropLast() }  // [::1]:9464
        self.host = host.isEmpty ? "127.0.0.1" : String(host)
        self.port = port
    }
}

/// `/metrics` (Prometheus) and `/health`, as a service of the group. Tells `onListening` once
/// it has bound its address; a failure to bind ends the group (and the process) with
/// `MetricsServerFailure` rather than leaving a service that systemd believes healthy.
struct MetricsServer: Service {
    let address: MetricsAddress
    let registry: PrometheusCollectorRegistry
    let state: SchedulerState
    let logger: Logger
    let onListening: @Sendable () -> Void
    /// How long a graceful stop waits for open connections before closing them.
    var closingLimit: Duration = .seconds(2)

    func run() async throws {
        let router = Router()
        let registry = self.registry
        let state = self.state
        router.get("/metrics") { _, _ -> Response in
            state.refreshGauges()
            var response = Response(status: .ok, body: ResponseBody(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
            response.headers[.contentType] = "text/plain; version=0.0.4"
            return response
        }
        router.get("/health") { _, _ -> Response in
            let healthy = state.lastPassHealthy
            let body = (healthy ? "ok: " : "unhealthy: ") + state.lastPassSummary + "\n"
            return Response(
                status: healthy ? .ok : .serviceUnavailable, body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
        }
        let onListening = self.onListening
        let application = Application(
            router: router,
            configuration: ApplicationConfiguration(address: .hostname(address.host, port: address.port), serverName: "liqsync"),
            onServerRunning: { _ in onListening() },
            logger: logger)
        let closingLimit = self.closingLimit
        let logger = self.logger
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                // No signals of its own: by default Hummingbird's group stops on SIGTERM by
                // itself, and the service group then saw the metrics server end before its turn
                // and failed the stop (exit 70). The service group alone decides when it stops.
                group.addTask { try await application.runService(gracefulShutdownSignals: []) }
                // Hummingbird's graceful shutdown waits for every connection to close; a scraper
                // that keeps one open (or a half-sent request) must not hold the process until
                // the group's limit. After `closingLimit` the server is cancelled, which closes them.
                group.addTask {
                    try await gracefulShutdown()
                    try await Task.sleep(for: closingLimit)
                    logger.warning("the metrics server's connections did not close within \(closingLimit); closing them")
                }
                try await group.next()
                group.cancelAll()
            }
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw MetricsServerFailure(address: address, underlying: error)
        }
    }
}

struct MetricsServerFailure: Error, CustomStringConvertible {
    let address: MetricsAddress
    let underlying: any Error

    var description: String {
        let reason = "\(underlying)".contains("in use") ? "the address is in use (another process listens there)" : "\(underlying)"
        return "cannot serve metrics on \(address.host):\(address.port): \(reason); choose another --metrics-address"
    }
}
