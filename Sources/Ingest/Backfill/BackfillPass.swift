import LiquidationModel
import LiquidationStore

/// A backfill of several assets: each planned, then loaded at most `concurrency` at a time in
/// one load session (claims on one session, chunks written on at most `concurrency`
/// connections). One asset's failure does not stop the others.
public struct BackfillPass: Sendable {
    public let runner: BackfillRunner
    public let pool: ConnectionPool
    /// Assets loaded at once (`--concurrency`).
    public var concurrency: Int { runner.settings.concurrency }

    public init(runner: BackfillRunner, pool: ConnectionPool) {
        self.runner = runner
        self.pool = pool
    }

    /// One asset's backfill: its plan, and what running it gave.
    public struct Result: Sendable {
        public let plan: BackfillRunner.Plan
        public let outcome: Swift.Result<BackfillRunner.Outcome, any Error>
    }

    /// The plan of each asset, in order; nothing is changed.
    public func plan(
        _ assets: [AssetCode], from: UTCHour, to: UTCHour?, restart: Bool, settledEnd: UTCHour
    ) async throws -> [BackfillRunner.Plan] {
        var plans: [BackfillRunner.Plan] = []
        for asset in assets {
            plans.append(try await pool.withConnection { connection in
                try await runner.plan(asset: asset, from: from, to: to, restart: restart, settledEnd: settledEnd, on: connection)
            })
        }
        return plans
    }

    /// Runs the plans; an asset not started before cancellation is reported as cancelled.
    public func run(_ plans: [BackfillRunner.Plan], restart: Bool) async -> [Result] {
        let outcomes: [Swift.Result<BackfillRunner.Outcome, any Error>?]
        do {
            let settings = runner.settings
            outcomes = try await LoadSession.with(
                pool: pool, writers: concurrency, prefetchChunks: settings.prefetchChunks, claimLease: settings.claimLease,
                logger: runner.logger
            ) { [runner, concurrency] session in
                await boundedConcurrentMap(plans, limit: concurrency) { plan in
                    do {
                        return .success(try await runner.run(plan, restart: restart, in: session))
                    } catch {
                        return .failure(error)
                    }
                }
            }
        } catch {
            return plans.map { Result(plan: $0, outcome: .failure(error)) }
        }
        return zip(plans, outcomes).map { plan, outcome in
            Result(plan: plan, outcome: outcome ?? .failure(CancellationError()))
        }
    }
}
