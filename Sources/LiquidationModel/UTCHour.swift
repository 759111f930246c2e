/// The start of one UTC hour, as whole seconds since the Unix epoch (always a multiple of 3600).
///
/// Integer seconds keep window arithmetic exact; `Date` (a `Double`) is only used at the edges.
public struct UTCHour: Hashable, Comparable, Strideable, Sendable, CustomStringConvertible {
    public let secondsSinceEpoch: Int64

    public static let seconds: Int64 = 3600

    /// The hour that contains `secondsSinceEpoch` (rounds down, also before 1970).
    public init(containing secondsSinceEpoch: Int64) {
        let remainder = ((secondsSinceEpoch % Self.seconds) + Self.seconds) % Self.seconds
        self.secondsSinceEpoch = secondsSinceEpoch - remainder
    }

    /// The hour starting exactly at `secondsSinceEpoch`, or nil if that is not on an hour.
    public init?(exactly secondsSinceEpoch: Int64) {
        guard secondsSinceEpoch % Self.seconds == 0 else { return nil }
        self.secondsSinceEpoch = secondsSinceEpoch
    }

    public var next: UTCHour { advanced(by: 1) }
    public var end: Int64 { secondsSinceEpoch + Self.seconds }

    public func advanced(by hours: Int) -> UTCHour {
        UTCHour(containing: secondsSinceEpoch + Int64(hours) * Self.seconds)
    }

    public func distance(to other: UTCHour) -> Int {
        Int((other.secondsSinceEpoch - secondsSinceEpoch) / Self.seconds)
    }

    public static func < (lhs: UTCHour, rhs: UTCHour) -> Bool { lhs.secondsSinceEpoch < rhs.secondsSinceEpoch }

    /// ISO 8601, e.g. `2025-02-27T23:00:00Z`.
    public var description: String { UTCTimestamp.format(secondsSinceEpoch: secondsSinceEpoch) }
}

/// A half-open range of hours `[start, end)`: the unit of fetching and writing.
public struct HourWindow: Hashable, Sendable, CustomStringConvertible {
    public let start: UTCHour
    public let end: UTCHour

    public init(start: UTCHour, end: UTCHour) {
        precondition(start <= end, "a window cannot end before it starts")
        self.start = start
        self.end = end
    }

    public var hourCount: Int { start.distance(to: end) }
    public var isEmpty: Bool { start == end }
    public var hours: StrideTo<UTCHour> { stride(from: start, to: end, by: 1) }

    public func contains(_ hour: UTCHour) -> Bool { start <= hour && hour < end }

    /// Consecutive windows of at most `maximumHours` each, covering this one exactly.
    public func chunks(ofAtMost maximumHours: Int) -> [HourWindow] {
        precondition(maximumHours > 0)
        var chunks: [HourWindow] = []
        var chunkStart = start
        while chunkStart < end {
            let chunkEnd = min(chunkStart.advanced(by: maximumHours), end)
            chunks.append(HourWindow(start: chunkStart, end: chunkEnd))
            chunkStart = chunkEnd
        }
        return chunks
    }

    public var description: String { "[\(start), \(end))" }
}
