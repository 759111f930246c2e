import FoundationEssentials
import LiquidationModel
import Logging
import ServiceLifecycle

/// The service: a pass over the tracked assets every poll interval, until shutdown.
///
/// On SIGTERM/SIGINT (ServiceLifecycle's graceful shutdown) it stops taking work: a fetch in
/// flight is cancelled (nothing of it was committed), a transaction in flight finishes or
/// rolls back on its own thread, and `run()` returns.
public struct SyncScheduler: Service {
    public let pass: any ScheduledPass
    public let pollInterval: Duration
    public let state: SchedulerState
    public let notifier: SystemdNotifier
    public let logger: Logger
    /// Backoff of a failing asset: starts at the poll interval, doubles, capped here.
    public let maxBackoff: Duration
    /// Resolves once everything else the service needs is up (the metrics server listening);
    /// only then is systemd told READY=1.
    public let startup: StartupGate

    public init(
        pass: any ScheduledPass, pollInterval: Duration, state: SchedulerState, notifier: SystemdNotifier, logger: Logger,
        maxBackoff: Duration = .seconds(3600), startup: StartupGate = .open
    ) {
        self.pass = pass
        self.pollInterval = pollInterval
        self.state = state
        self.notifier = notifier
        self.logger = logger
        self.maxBackoff = maxBackoff
        self.startup = startup
    }

    public func run() async throws {
        guard await startup.wait() else { return }  // cancelled: another part failed to start
        state.loopStarted()
        defer { state.loopStopped() }
        notifier.ready(status: "connected; first pass starting")
        let logger = self.logger
        await withGracefulShutdownHandler {
            while !Task.isShuttingDownGracefully && !Task.isCancelled {
                state.progressed()
                // The pass runs as a child that graceful shutdown cancels.
                await cancelWhenGracefulShutdown {
                    await runPass()
                }
                if Task.isShuttingDownGracefully || Task.isCancelled { break }
                state.sleeping()
                _ = try? await cancelWhenGracefulShutdown {
                    try await Task.sleep(for: pollInterval)
                }
            }
        } onGracefulShutdown: {
            // Said when the stop starts, so a journal shows how long the pass in flight took to end.
            logger.info("stop requested; ending the pass in flight")
        }
        notifier.stopping()
        logger.info("scheduler stopped")
    }

    func runPass() async {
        let due: [AssetCode]
        do {
            due = try await pass.dueAssets().filter { state.isDue($0) }
        } catch {
            logger.error("cannot read the tracked assets", metadata: ["error": "\(error)"])
            state.finishedPass(healthy: false, summary: "database unavailable: \(error)")
            notifier.status("database unavailable; retrying every \(pollInterval)")
            return
        }
        let outcomes = await pass.run(due)
        var failed = 0
        for outcome in outcomes {
            switch outcome.end {
            case .failed:
                failed += 1
                state.recordFailure(outcome.asset, base: pollInterval, cap: maxBackoff)
                logger.error("\(outcome.syncSummary)")
            case .completed:
                state.recordSuccess(outcome.asset)
                if outcome.chunks > 0 { logger.info("\(outcome.syncSummary)") }
            default:
                logger.info("\(outcome.syncSummary)")
            }
        }
        let committed = outcomes.reduce(0) { $0 + $1.chunks }
        // An asset waiting out its back-off was not in this pass but is failing all the same:
        // the pass is not clean while any is.
        let backingOff = state.failingAssets.subtracting(outcomes.map(\.asset)).count
        var summary = "\(outcomes.count) assets synced, \(committed) chunks committed, \(failed) failed"
        if backingOff > 0 { summary += ", \(backingOff) failing and backing off" }
        state.finishedPass(healthy: failed == 0 && backingOff == 0, summary: summary)
        notifier.status(summary)
    }
}

/// Sends `WATCHDOG=1` to systemd at half of `WATCHDOG_USEC`, but only while the scheduler
/// loop runs and is healthy: a loop stuck in a chunk for longer than the watchdog window, or a
/// loop that ended, stops the keep-alives, and systemd restarts the service.
public struct WatchdogService: Service {
    public let notifier: SystemdNotifier
    public let state: SchedulerState
    public let interval: Duration

    public init(notifier: SystemdNotifier, state: SchedulerState, interval: Duration) {
        self.notifier = notifier
        self.state = state
        self.interval = interval
    }

    public func run() async throws {
        // Cancellation (another service failed) ends the loop as surely as a graceful shutdown:
        // a loop that swallowed it would spin, pinging systemd thousands of times a second.
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            if state.isLoopHealthy(within: interval * 2) { notifier.watchdog() }
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            } catch {
                return
            }
        }
    }
}
