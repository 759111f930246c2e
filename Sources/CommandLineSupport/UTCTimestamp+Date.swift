import FoundationEssentials
import LiquidationModel

extension UTCTimestamp {
    /// `2026-11-26T00:12:24Z`: the instant to the second, in UTC, as liqsync prints every time.
    public static func format(_ date: Date) -> String {
        format(secondsSinceEpoch: Int64(date.timeIntervalSince1970.rounded(.down)))
    }
}
