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

    @OptionGroup var ingest: IngestOptions
    @OptionGroup var load: LoadOptions
    @OptionGroup var syncOptions: SyncOptions

    @Option(help: "Seconds between passes.")
    var pollInterval: Int = 60

    @Option(
        help: ArgumentHelp("Serve /metrics (Prometheus) and /health on host:port. Off by default.", valueName: "host:port"),
        transform: MetricsAddress.init)
    var metricsAddress: MetricsAddress?

    var settings: LoadSettings { ingest.settings(load: load, sync: syncOptions) }

    func validate() throws {
        guard pollInterval > 0 else { throw ValidationError("--poll-interval must be positive") }
    }

    func run() async throws {
        let logger = ingest.global.makeLogger()
        let registry = PrometheusCollectorRegistry()
        if metricsAddress != nil {
            MetricsSystem.bootstrap(DocumentedMetricsFactory(registry: registry))
            ProcessMetrics.buildInfo.record(1, [
                ("version", Release.version), ("schema_version", String(try Migration.embedded().last?.version ?? 0)),
            ])
            // Milliseconds after exec: close enough, and the alert rules need a start time to
            // tell "no successful pass yet" from "just started".
            ProcessMetrics.startTime.record(Date().timeIntervalSince1970.rounded(.down))
        }
        let notifier = SystemdNotifier()
        let state = SchedulerState()
        try await ingest.withResources(logger: logger, load: load, checkingClock: false) { resources in
            let syncer = AssetSyncer(
                pipeline: ingest.pipeline(resources, logger: logger, load: load, sync: syncOptions),
                onProgress: { state.progressed() })
            let refresher = ExchangeNamesRefresher(
                reference: try ingest.kaiko.referenceData(), pool: resources.pool, logger: logger)
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
