import LiquidationModel
import LiquidationStore
import Postgres

/// Catches a local clock that jumped forward before it is trusted with planning: a sync or
/// backfill that believed it was next month would ask for hours that have not happened, store
/// them as zeros and move watermarks into the future. PostgreSQL's clock is the reference (the
/// database refuses such a watermark on its own too); a clock behind it is harmless.
public enum ClockCheck {
    /// How far ahead of the database server the local clock may run.
    public static let toleranceSeconds: Int64 = 120

    public static func verify(localNow: Int64, on connection: PostgresConnection) async throws {
        let database = Int64(try await DatabaseClock.now(on: connection).rounded(.down))
        guard localNow - database <= toleranceSeconds else {
            throw ClockAhead(localNow: localNow, databaseNow: database)
        }
    }
}

/// The local clock runs ahead of the database server's.
public struct ClockAhead: Error, Sendable, CustomStringConvertible {
    public let localNow: Int64
    public let databaseNow: Int64

    public var description: String {
        "the local clock (\(UTCTimestamp.format(secondsSinceEpoch: localNow))) is \(localNow - databaseNow) s ahead of "
            + "the database server's (\(UTCTimestamp.format(secondsSinceEpoch: databaseNow))); nothing is planned on a "
            + "clock that jumped: fix the time (NTP) on this machine or the server"
    }
}
