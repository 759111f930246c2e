import LiquidationModel
import Postgres

/// The API request budget that every liqsync using the database shares
/// (`liquidations.request_budget`, migration 0006): a token bucket kept in one row, updated in
/// one statement per request, and the pause a 429 imposes on everyone.
///
/// Durations are computed by the server from its own clock and returned relative to now, so
/// processes on machines whose clocks disagree still share one consistent schedule.
public enum SharedBudgetStore {
    /// One budget per database: Kaiko counts requests per API key.
    public static let budget = "kaiko"

    /// How long a caller that just took a request's token must wait before sending.
    public struct Grant: Sendable, Equatable {
        /// Until its reserved slot (0 when a token was there).
        public var reservation: Duration
        /// Until a 429's pause ends (0 when none is in force).
        public var pause: Duration

        public var wait: Duration { max(reservation, pause) }
    }

    /// Takes one token, refilling the bucket at `ratePerSecond` up to `burst` first. When the
    /// bucket is empty the token is taken anyway (the count goes negative): a reservation of the
    /// next free slot, which the caller waits for. Callers are thus served in the order their
    /// statements ran, without polling.
    public static func take(ratePerSecond: Double, burst: Double, on connection: PostgresConnection) async throws -> Grant {
        try await storeOperation("taking a request from the shared budget") {
            let (reservation, pause) = try await connection.query(
                """
                INSERT INTO liquidations.request_budget AS b (budget, tokens, refilled_at)
                VALUES (\(budget), \(burst)::float8 - 1, clock_timestamp())
                ON CONFLICT (budget) DO UPDATE SET
                    tokens = least(\(burst)::float8, b.tokens + \(ratePerSecond)::float8
                        * greatest(0, extract(epoch FROM clock_timestamp() - b.refilled_at))::float8) - 1,
                    refilled_at = greatest(b.refilled_at, clock_timestamp())
                RETURNING
                    greatest(0, extract(epoch FROM b.refilled_at - clock_timestamp())::float8
                        + greatest(0, -b.tokens) / \(ratePerSecond)::float8),
                    CASE WHEN b.paused_until > clock_timestamp()
                         THEN extract(epoch FROM b.paused_until - clock_timestamp())::float8 ELSE 0 END
                """, name: "budget.take"
            ).rows[0].decode(Double.self, Double.self)
            return Grant(reservation: .seconds(reservation), pause: .seconds(pause))
        }
    }

    /// Holds back every process's requests for `duration` (the API answered 429), and spends
    /// what the bucket held, so that traffic resumes at the steady rate rather than in a burst.
    public static func pause(for duration: Duration, on connection: PostgresConnection) async throws {
        let seconds = duration.inSeconds
        try await storeOperation("pausing the shared request budget") {
            _ = try await connection.query(
                """
                INSERT INTO liquidations.request_budget AS b (budget, tokens, refilled_at, paused_until)
                VALUES (\(budget), 0, clock_timestamp() + make_interval(secs => \(seconds)),
                        clock_timestamp() + make_interval(secs => \(seconds)))
                ON CONFLICT (budget) DO UPDATE SET
                    paused_until = greatest(b.paused_until, excluded.paused_until),
                    tokens = least(b.tokens, 0),
                    refilled_at = greatest(b.refilled_at, excluded.refilled_at)
                """, name: "budget.pause")
        }
    }
}
