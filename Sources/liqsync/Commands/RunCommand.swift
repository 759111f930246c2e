import ArgumentParser
import CommandLineSupport
import FoundationEssentials
import Hummingbird
import Ingest
import LiquidationStore
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
            per failing asset, reconnects to PostgreSQL by itself, refreshes exchange names from Kaiko's \
            reference data once a day (keeping the stored ones when it cannot). Under systemd (Type=notify) it sends \
            READY=1 once connected, the schema checked and the metrics server listening, STATUS= after \
            each pass, WATCHDOG=1 while the scheduler loop runs and makes progress, and STOPPING=1. \
            SIGTERM/SIGINT stop it gracefully (exit 0). If a part of it fails (the metrics address is \
            taken, the scheduler stops), it says why, sends STOPPING=1 and exits non-zero.
            """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var kaiko: KaikoOptions
    @OptionGroup var syncOptions: SyncOptions
    @OptionGroup var guards: GuardOptions
    @OptionGroup var clock: ClockOptions

    @Option(help: "Seconds between passes.")
    var pollInterval: Int = 60

    @Option(
        help: ArgumentHelp("Serve /metrics (Prometheus) and /health on host:port. Off by default.", valueName: "host:port"),
        transform: MetricsAddress.init)
    var metricsAddress: MetricsAddress?

    func validate() throws {
        guard pollInterval > 0 else { throw ValidationError("--poll-interval must be positive") }
    }

    func run() async throws {
        let logger = global.makeLogger()
        let registry = PrometheusCollectorRegistry()
        if metricsAddress != nil {
            MetricsSystem.bootstrap(DocumentedMetricsFactory(registry: registry))
            Gauge(label: "liqsync_build_info", dimensions: [
                ("version", Release.version), ("schema_version", String(try Migration.embedded().last?.version ?? 0)),
            ]).record(1)
            // Milliseconds after exec: close enough, and the alert rules need a start time to
            // tell "no successful pass yet" from "just started".
            Gauge(label: "process_start_time_seconds").record(Date().timeIntervalSince1970.rounded(.down))
        }
        let notifier = SystemdNotifier()
        let state = SchedulerState()
        try await IngestResources.with(
            postgres: global.postgresConfiguration(), kaiko: try kaiko.configuration(), logger: logger
        ) { resources in
            let syncer = AssetSyncer(
                source: resources.client, settings: syncOptions.settings(guards: guards), logger: logger,
                now: clock.clock(), onProgress: { state.progressed() })
            let refresher = ExchangeNamesRefresher(reference: try kaiko.referenceData(), pool: resources.pool, logger: logger)
            let group = serviceGroup(
                pass: SyncPass(syncer: syncer, pool: resources.pool), refresher: refresher, state: state, notifier: notifier,
                registry: registry, logger: logger)
            logger.info("liqsync service starting", metadata: ["poll_interval_s": "\(pollInterval)"])
            do {
                try await group.run()
            } catch {
                // A part of the service failed: the rest was cancelled. Say why, tell systemd, and
                // exit non-zero so that Restart=on-failure starts a whole service again.
                let failure = Self.describe(error)
                logger.error("liqsync service failed", metadata: ["error": "\(failure)"])
                notifier.stopping()
                throw failure
            }
        }
        logger.info("liqsync service stopped")
    }

    /// The scheduler, the daily refresh of exchange names, the watchdog (under systemd) and the
    /// metrics server (when asked for).
    private func serviceGroup(
        pass: SyncPass, refresher: ExchangeNamesRefresher, state: SchedulerState, notifier: SystemdNotifier,
        registry: PrometheusCollectorRegistry, logger: Logger
    ) -> ServiceGroup {
        let startup = StartupGate()
        // A group stops its services in reverse order: the scheduler first (its pass in flight is
        // what a stop waits for), the metrics server last, so /metrics and /health answer until
        // the scheduler has stopped.
        var services: [any Service] = []
        if let metricsAddress {
            services.append(MetricsServer(address: metricsAddress, registry: registry, state: state, logger: logger) {
                startup.open()
            })
        } else {
            startup.open()
        }
        if let interval = notifier.watchdogInterval {
            services.append(WatchdogService(notifier: notifier, state: state, interval: interval))
        }
        services.append(refresher)
        services.append(
            SyncScheduler(
                pass: pass, pollInterval: .seconds(pollInterval), state: state, notifier: notifier, logger: logger,
                startup: startup))
        var configuration = ServiceGroupConfiguration(
            services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        configuration.maximumGracefulShutdownDuration = .seconds(20)
        return ServiceGroup(configuration: configuration)
    }

    /// The error a failed service group ends the process with.
    static func describe(_ error: any Error) -> any Error {
        switch error {
        case let failure as MetricsServerFailure:
            return CommandFailure("\(failure)", status: .osError)
        case let error as ServiceGroupError:
            return CommandFailure("a part of the service stopped unexpectedly: \(error)", status: .software)
        default:
            return error
        }
    }
}

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
