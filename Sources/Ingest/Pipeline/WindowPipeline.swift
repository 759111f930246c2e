import FoundationEssentials
import KaikoAPI
import LiquidationModel
import LiquidationStore
import Logging
import Postgres

/// The one loop that loads an asset's windows, whatever drives it (sync, run, backfill,
/// reconcile --repair): it performs what `AssetLoadStateMachine` decides — claim the asset, plan
/// under the claim (the driver), fetch the windows ahead (`forEachPrefetched`), write each in one
/// transaction with the driver's progress and the claim's check, abandon, record a failure,
/// release — and tells the driver what happened. No connection is held while a request is in
/// flight.
///
/// It also holds what every driver's command shares: where windows come from and go, the
/// settings, the logger and the clock.
public struct WindowPipeline: Sendable {
    public let source: any WindowSource
    public let writer: any ChunkWriting
    public let settings: LoadSettings
    public let logger: Logger
    /// When each chunk's read starts: the command's clock.
    public let now: @Sendable () -> Date

    public init(
        source: any WindowSource, writer: any ChunkWriting = ChunkWriter(), settings: LoadSettings = LoadSettings(),
        logger: Logger, now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.source = source
        self.writer = writer
        self.settings = settings
        self.logger = logger
        self.now = now
    }

    /// A load session over `pool` with these settings: `writers` chunks written at a time
    /// (`--concurrency` unless given), the claims' lease, chunks fetched ahead as `fetchAhead`
    /// allows (one made from the settings unless given: a command's passes share one, so what it
    /// learnt of the API carries over).
    public func withSession<T: Sendable>(
        pool: ConnectionPool, writers: Int? = nil, fetchAhead: FetchAhead? = nil, _ body: @Sendable (LoadSession) async -> T
    ) async throws -> T {
        try await LoadSession.with(
            pool: pool, writers: writers ?? settings.concurrency, catchingUp: settings.assetsCatchingUp,
            fetchAhead: fetchAhead ?? settings.makeFetchAhead(),
            claimLease: settings.claimLease, logger: logger, body)
    }

    /// Loads `driver`'s asset in `session` and returns the driver's report.
    public func load<Driver: LoadDriver>(_ driver: Driver, in session: LoadSession) async -> Driver.Report {
        let started = ContinuousClock.now
        let asset = driver.asset
        var logger = self.logger
        logger[metadataKey: "asset"] = "\(asset)"
        var machine = AssetLoadStateMachine(recordsFailures: driver.kind != .repair)
        var outcome = LoadOutcome(asset: asset)
        var report = driver.makeReport()
        var plan: LoadPlan<Driver.Context>?
        var failure: AssetFailure?
        var action = machine.start()
        while true {
            switch action {
            case .claim:
                do {
                    let claimed = try await session.claim(asset, driver.claimMode)
                    logger.debug(claimed ? "claimed the asset" : "another liqsync has the asset")
                    action = machine.claimed(claimed)
                } catch {
                    if Self.failure(error) != .cancelled {
                        logger.error("cannot claim the asset", metadata: ["error": "\(error)"])
                    }
                    failure = AssetFailure(window: nil, startedAt: now(), underlying: error)
                    action = machine.failed(Self.failure(error))
                }
            case .plan:
                do {
                    plan = try await session.withWriter { try await driver.plan(on: $0) }
                    logger.debug("planned", metadata: ["windows": "\(plan?.windows.count ?? 0)"])
                    if let plan {
                        outcome.watermark = plan.watermark
                        driver.planned(plan, into: &report)
                    }
                    action = machine.planned(abandonable: plan?.abandonable)
                } catch {
                    if Self.failure(error) != .cancelled {
                        logger.error("cannot plan the asset", metadata: ["error": "\(error)"])
                    }
                    failure = AssetFailure(window: nil, startedAt: now(), underlying: error)
                    action = machine.failed(Self.failure(error))
                }
            case .load:
                guard let plan else { preconditionFailure("loading without a plan") }
                action = await loadWindows(
                    plan, of: driver, machine: &machine, outcome: &outcome, report: &report, failure: &failure,
                    session: session, logger: logger)
            case .writeNext:
                preconditionFailure("a window is written inside the load")
            case .abandon:
                guard let plan, let failure else { preconditionFailure("abandoning without a failure") }
                let undone = (try? await session.withWriter { connection in
                    await driver.abandon(after: failure.underlying, context: plan.context, on: connection)
                }) ?? false
                action = machine.abandoned(undone)
            case .recordFailure:
                guard let failure else { preconditionFailure("recording without a failure") }
                await record(failure, of: asset, kind: driver.kind, session, logger)
                action = machine.recorded()
            case .release:
                await session.claims.release(asset)
                action = machine.released()
            case .finish(let ending):
                outcome.end = Self.end(ending, failure: failure)
                outcome.seconds = started.duration(to: .now).inSeconds
                driver.finished(outcome, into: &report)
                return report
            }
        }
    }

    /// Fetches the planned windows ahead and writes each in order while the machine says so;
    /// returns the machine's next action once it stops.
    private func loadWindows<Driver: LoadDriver>(
        _ plan: LoadPlan<Driver.Context>, of driver: Driver, machine: inout AssetLoadStateMachine, outcome: inout LoadOutcome,
        report: inout Driver.Report, failure: inout AssetFailure?, session: LoadSession, logger: Logger
    ) async -> AssetLoadStateMachine.Action {
        if plan.catchingUp { await session.catchingUp.acquire() }
        var next: AssetLoadStateMachine.Action?
        let (source, asset, fetchAhead) = (self.source, driver.asset, session.fetchAhead)
        await forEachPrefetched(plan.windows, ahead: fetchAhead.cap, budget: fetchAhead, weight: \.estimatedBytes, fetch: { window in
            let sentAt = fetchAhead.now
            let fetched = try await source.fetchWindow(asset: asset, window: window)
            fetchAhead.answered(sentAt: sentAt, slowDowns: fetched.slowDowns)
            return fetched
        }) { window, fetch in
            let startedAt = now()
            do {
                try Task.checkCancellation()
                let fetched = try fetch.get()
                let (result, finding) = try await write(
                    fetched, window: window, of: driver, plan: plan, startedAt: startedAt, session: session)
                outcome.chunks += 1
                outcome.hours += window.hourCount
                outcome.requests += fetched.requests
                outcome.pages += fetched.pages
                if let result {
                    outcome.rows += result.rows
                    outcome.watermark = result.watermark
                }
                logger.debug("window done", metadata: ["window": "\(window)", "written": "\(result != nil)"])
                driver.committed(CommittedWindow(window: window, fetched: fetched, result: result, finding: finding), into: &report)
                _ = machine.windowCommitted()
                return true
            } catch {
                let kind = Self.failure(error)
                if kind != .cancelled {
                    logger.error("chunk failed; nothing of it was committed", metadata: ["window": "\(window)", "error": "\(error)"])
                }
                failure = AssetFailure(window: window, startedAt: startedAt, underlying: error)
                next = machine.failed(kind)
                return false
            }
        }
        if plan.catchingUp { await session.catchingUp.release() }
        return next ?? machine.windowsDone()
    }

    /// One fetched window: prepared by the driver, and written in one transaction with the
    /// driver's progress, committing only if the claim still holds.
    private func write<Driver: LoadDriver>(
        _ fetched: FetchedWindow, window: HourWindow, of driver: Driver, plan: LoadPlan<Driver.Context>, startedAt: Date,
        session: LoadSession
    ) async throws -> (ChunkWriteResult?, Driver.Finding) {
        var chunk = ChunkWrite(
            asset: driver.asset, window: window, records: fetched.records, kind: driver.kind, pages: fetched.pages,
            dataVersion: fetched.dataVersion, startedAt: startedAt, guards: plan.guards)
        chunk.lookbackHours = plan.lookbackHours
        let (claims, context) = (session.claims, plan.context)
        return try await session.withWriter { [writer, chunk] connection in
            let (prepared, finding) = try await driver.prepare(chunk, context: context, on: connection)
            guard let prepared else { return (nil, finding) }
            let result = try await writer.write(prepared, on: connection) { connection in
                try driver.recordProgress(through: window, context: context, on: connection)
                try claims.verify(driver.asset, on: connection)
            }
            return (result, finding)
        }
    }

    /// Records a failure on a writer connection (`AssetFailure.record` resets one the failure
    /// broke), writing the asset's state only where the claim allows (`mayRecordFailure`).
    private func record(_ failure: AssetFailure, of asset: AssetCode, kind: RunKind, _ session: LoadSession, _ logger: Logger) async {
        do {
            try await session.withWriter { [claims = session.claims] connection in
                await failure.record(asset: asset, kind: kind, claims: claims, on: connection, logger: logger)
            }
        } catch {
            logger.error("cannot record the failure: no database connection", metadata: ["error": "\(error)"])
        }
    }

    /// An error as the rules see it: a cancellation (or any error once the task is cancelled:
    /// a fetch cut short by shutdown committed nothing), a lost claim, or a failure.
    static func failure(_ error: any Error) -> AssetLoadStateMachine.Failure {
        if error is CancellationError || Task.isCancelled { return .cancelled }
        if case StoreError.claimLost = error { return .claimLost }
        return .error
    }

    static func end(_ ending: AssetLoadStateMachine.Ending, failure: AssetFailure?) -> LoadOutcome.End {
        switch ending {
        case .completed: .completed
        case .notClaimed: .notClaimed
        case .notPlanned: .notPlanned
        case .interrupted: .interrupted
        case .failed: .failed(window: failure?.window, error: failure?.underlying ?? CancellationError())
        }
    }
}
