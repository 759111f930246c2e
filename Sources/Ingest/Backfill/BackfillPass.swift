import LiquidationModel
import LiquidationStore
import Postgres

/// A backfill of several assets: each planned, then loaded `LoadSettings.assetsCatchingUp` at a
/// time in one load session (claims on one session, chunks written on at most `concurrency`
/// connections). One asset's failure does not stop the others.
public struct BackfillPass: Sendable {
    public let runner: BackfillRunner
    public let pool: ConnectionPool

    public init(runner: BackfillRunner, pool: ConnectionPool) {
        self.runner = runner
        self.pool = pool
    }

    /// One asset's backfill: its plan, and how running it went.
    public struct Result: Sendable {
        public let plan: BackfillPlan
        public let outcome: LoadOutcome
    }

    /// The plan of each asset, in order; nothing is changed.
    public func plan(
        _ assets: [AssetCode], from: UTCHour, to: UTCHour?, restart: Bool, settledEnd: UTCHour
    ) async throws -> [BackfillPlan] {
        var plans: [BackfillPlan] = []
        for asset in assets {
            plans.append(try await pool.withConnection { connection in
                try await runner.plan(asset: asset, from: from, to: to, restart: restart, settledEnd: settledEnd, on: connection)
            })
        }
        return plans
    }

    /// Runs the plans; an asset not started before cancellation is reported interrupted.
    public func run(_ plans: [BackfillPlan], restart: Bool) async -> [Result] {
        let outcomes: [LoadOutcome?]
        do {
            outcomes = try await runner.pipeline.withSession(pool: pool) { [runner] session in
                await boundedConcurrentMap(plans, limit: runner.pipeline.settings.assetsCatchingUp) { plan in
                    await runner.run(plan, restart: restart, in: session)
                }
            }
        } catch {
            return plans.map { Result(plan: $0, outcome: LoadOutcome(asset: $0.asset, end: .failed(window: nil, error: error))) }
        }
        return zip(plans, outcomes).map { plan, outcome in
            Result(plan: plan, outcome: outcome ?? LoadOutcome(asset: plan.asset, end: .interrupted))
        }
    }
}
