import ArgumentParser
import Foundation
import Hummingbird
import Ingest
import Logging
import Metrics
import Prometheus
import ServiceLifecycle

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the service: a sync pass every poll interval until SIGTERM.",
        discussion: """
            Re-reads the tracked assets on every pass, syncs them with bounded concurrency, backs off \
            per failing asset, reconnects to PostgreSQL by itself. Under systemd (Type=notify) it sends \
            READY=1 once connected and the schema checked, STATUS= after each pass, WATCHDOG=1 while \
            healthy, and STOPPING=1. SIGTERM/SIGINT stop it gracefully (exit 0).
            """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var kaiko: KaikoOptions
    @OptionGroup var syncOptions: SyncOptions
    @OptionGroup var guards: GuardOptions

    @Option(help: "Seconds between passes.")
    var pollInterval: Int = 60

    @Option(help: ArgumentHelp("Serve /metrics (Prometheus) and /health on host:port. Off by default.", valueName: "host:port"))
    var metricsAddress: String?

    func validate() throws {
        guard pollInterval > 0 else { throw ValidationError("--poll-interval must be positive") }
        if let metricsAddress { _ = try MetricsAddress(metricsAddress) }
    }

    func run() async throws {
        let logger = global.makeLogger()
        let registry = PrometheusCollectorRegistry()
        if metricsAddress != nil {
            MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        }
        let notifier = SystemdNotifier()
        let state = SchedulerState()
        let engine = try await SyncEngine.start(
            global: global, kaiko: kaiko, sync: syncOptions, guards: guards, logger: logger, state: state)

        var services: [any Service] = [
            SyncScheduler(
                pass: engine.pass, pollInterval: .seconds(pollInterval), state: state, notifier: notifier, logger: logger)
        ]
        if let interval = notifier.watchdogInterval {
            services.append(WatchdogService(notifier: notifier, state: state, interval: interval))
        }
        if let metricsAddress {
            let address = try MetricsAddress(metricsAddress)
            services.append(MetricsServer.application(address: address, registry: registry, state: state, logger: logger))
        }
        let group = ServiceGroup(
            configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        notifier.ready(status: "connected; first pass starting")
        logger.info("liqsync service started", metadata: ["poll_interval_s": "\(pollInterval)"])
        do {
            try await group.run()
        } catch {
            await engine.shutdown()
            throw error
        }
        await engine.shutdown()
        logger.info("liqsync service stopped")
    }
}

struct MetricsAddress {
    let host: String
    let port: Int

    init(_ text: String) throws {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
              (0...65535).contains(port)
        else { throw ValidationError("--metrics-address must be host:port, e.g. 127.0.0.1:9464") }
        let host = String(text[..<colon])
        self.host = host.isEmpty ? "127.0.0.1" : host.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        self.port = port
    }
}

enum MetricsServer {
    static func application(
        address: MetricsAddress, registry: PrometheusCollectorRegistry, state: SchedulerState, logger: Logger
    ) -> some Service {
        let router = Router()
        router.get("/metrics") { _, _ -> Response in
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
        return Application(
            router: router,
            configuration: ApplicationConfiguration(address: .hostname(address.host, port: address.port), serverName: "liqsync"),
            logger: logger)
    }
}
