import FoundationEssentials
import LiquidationModel

/// Parses an HTTP `Retry-After` value: delay-seconds (`120`) or an HTTP-date
/// (`Wed, 21 Oct 2015 07:28:00 GMT`), relative to `now`. Nil when absent or unreadable.
///
/// The value comes from the network, so nothing here can trap: a number too large for any
/// arithmetic is read as `ceiling`, and the caller compares the result with its own cap
/// (`RetryPolicy.maxRetryAfter`) before waiting at all.
enum RetryAfter {
    /// Longer than any wait liqsync would accept; values beyond it are read as it.
    static let ceiling: Duration = .seconds(86_400)

    static func parse(_ value: String?, now: Date = Date()) -> Duration? {
        guard let value = value?.trimmingWhitespace(), !value.isEmpty else { return nil }
        if value.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) {
            // Nine digits or fewer fit any integer; longer runs are beyond the ceiling anyway.
            guard value.utf8.count <= 9, let seconds = Int64(value) else { return ceiling }
            return min(.seconds(seconds), ceiling)
        }
        guard let date = httpDate(value) else { return nil }
        let seconds = date.timeIntervalSince(now)
        guard seconds.isFinite else { return nil }
        let ceilingSeconds = Double(ceiling.components.seconds)
        return .milliseconds(Int64(min(max(0, seconds), ceilingSeconds) * 1000))
    }

    /// IMF-fixdate, the format RFC 9110 requires senders to use: `Wed, 21 Oct 2015 07:28:00 GMT`.
    /// Its fields are checked here and the date itself by the command line's timestamp parser.
    static func httpDate(_ text: String) -> Date? {
        let fields = text.split(separator: " ", omittingEmptySubsequences: false)
        guard fields.count == 6, weekdays.contains(String(fields[0])), fields[1].utf8.count == 2,
              let month = months.firstIndex(of: String(fields[2])), fields[3].utf8.count == 4,
              fields[4].utf8.count == 8, fields[5] == "GMT"
        else { return nil }
        let iso = "\(fields[3])-\(month < 9 ? "0" : "")\(month + 1)-\(fields[1])T\(fields[4])Z"
        guard let seconds = try? UTCTimestamp.parse(iso) else { return nil }
        return Date(timeIntervalSince1970: Double(seconds))
    }

    private static let weekdays: Set<String> = ["Mon,", "Tue,", "Wed,", "Thu,", "Fri,", "Sat,", "Sun,"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
}
