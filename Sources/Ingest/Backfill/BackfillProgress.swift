import FoundationEssentials
import LiquidationModel
import Synchronization

/// Live progress of the backfills of one command, shared by their tasks and the reporter.
public final class BackfillProgress: Sendable {
    public struct Entry: Sendable {
        public var asset: AssetCode
        public var totalHours: Int
        public var doneHours = 0
        /// Of `doneHours`, those done by this command (the rest by an earlier, interrupted one).
        public var doneHere = 0
        public var rowsWritten = 0
        public var requests = 0
        public var started = ContinuousClock.now
        /// Loading now: begun and not finished.
        public var begun = false
        public var finished = false
        public var note: String?
    }

    /// Every asset of the command together.
    public struct Summary: Sendable, Equatable {
        public var assets = 0
        public var assetsDone = 0
        public var totalHours = 0
        public var doneHours = 0
        public var hoursPerSecond = 0.0
        public var requestsPerSecond = 0.0
        public var rowsPerSecond = 0.0
        /// Seconds left at the pace so far; nil before there is a pace.
        public var secondsLeft: Double?
    }

    private let entries = Mutex<[AssetCode: Entry]>([:])
    private let started = ContinuousClock.now

    public init() {}

    /// The assets the command will load, before it starts: what the totals count.
    public func expect(_ asset: AssetCode, totalHours: Int, alreadyDone: Int) {
        entries.withLock { entries in
            if entries[asset] == nil { entries[asset] = Entry(asset: asset, totalHours: totalHours, doneHours: alreadyDone) }
        }
    }

    public func begin(_ asset: AssetCode, totalHours: Int, alreadyDone: Int) {
        entries.withLock {
            $0[asset] = Entry(asset: asset, totalHours: totalHours, doneHours: alreadyDone, begun: true)
        }
    }

    public func advance(_ asset: AssetCode, hours: Int, rows: Int, requests: Int) {
        entries.withLock {
            $0[asset]?.doneHours += hours
            $0[asset]?.doneHere += hours
            $0[asset]?.rowsWritten += rows
            $0[asset]?.requests += requests
        }
    }

    public func note(_ asset: AssetCode, _ text: String?) {
        entries.withLock { $0[asset]?.note = text }
    }

    public func finish(_ asset: AssetCode) {
        entries.withLock { $0[asset]?.finished = true }
    }

    public var snapshot: [Entry] { entries.withLock { $0.values.sorted { $0.asset < $1.asset } } }

    /// The command's totals: hours done of all, the pace of this command's work, the time left.
    public var summary: Summary {
        let entries = snapshot
        let seconds = max(0.001, started.duration(to: .now).inSeconds)
        var summary = Summary(assets: entries.count)
        var doneHere = 0, requests = 0, rows = 0
        for entry in entries {
            summary.totalHours += entry.totalHours
            summary.doneHours += entry.doneHours
            if entry.finished { summary.assetsDone += 1 }
            doneHere += entry.doneHere
            requests += entry.requests
            rows += entry.rowsWritten
        }
        summary.hoursPerSecond = Double(doneHere) / seconds
        summary.requestsPerSecond = Double(requests) / seconds
        summary.rowsPerSecond = Double(rows) / seconds
        if summary.hoursPerSecond > 0 {
            summary.secondsLeft = Double(summary.totalHours - summary.doneHours) / summary.hoursPerSecond
        }
        return summary
    }

    /// `all 12/500 assets  1,234,000/8,000,000 h  15%  42.0 requests/s  13 in flight  68,000 rows/s  ETA 5m10s`.
    public static func summaryLine(_ summary: Summary, requestsInFlight: Int) -> String {
        let percent = summary.totalHours == 0 ? 100 : Int(Double(summary.doneHours) / Double(summary.totalHours) * 100)
        let eta = summary.assetsDone == summary.assets ? "done" : summary.secondsLeft.map { "ETA " + duration($0) } ?? "ETA -"
        return "all \(summary.assetsDone)/\(summary.assets) assets  \(grouped(summary.doneHours))/\(grouped(summary.totalHours)) h  "
            + "\(percent)%  \(oneDecimal(summary.requestsPerSecond)) requests/s  \(requestsInFlight) in flight  "
            + "\(grouped(Int(summary.rowsPerSecond))) rows/s  \(eta)"
    }

    /// `45s`, `5m10s`, `2h03m`.
    static func duration(_ seconds: Double) -> String {
        let whole = Int(seconds.rounded())
        if whole < 60 { return "\(whole)s" }
        if whole < 3600 { return "\(whole / 60)m\(twoDigits(whole % 60))s" }
        return "\(whole / 3600)h\(twoDigits(whole % 3600 / 60))m"
    }

    private static func twoDigits(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }

    /// `42.0`.
    static func oneDecimal(_ value: Double) -> String {
        let tenths = Int((value * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)"
    }

    /// `8,000,000`.
    static func grouped(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var text = ""
        for (index, digit) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { text += "," }
            text.append(digit)
        }
        return (value < 0 ? "-" : "") + text
    }

    /// `btc  [##########----------]  52%  1000/1920 h  3,400 rows/s  ETA 4s`.
    public static func line(_ entry: Entry, width: Int = 24) -> String {
        let fraction = entry.totalHours == 0 ? 1 : Double(entry.doneHours) / Double(entry.totalHours)
        let filled = Int((fraction * Double(width)).rounded(.down))
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        let seconds = max(0.001, entry.started.duration(to: .now).inSeconds)
        let rate = Double(entry.rowsWritten) / seconds
        let hoursPerSecond = Double(entry.doneHours) / seconds
        var eta = ""
        if entry.finished {
            eta = "done"
        } else if hoursPerSecond > 0 {
            eta = "ETA \(Int((Double(entry.totalHours - entry.doneHours) / hoursPerSecond).rounded()))s"
        }
        let name = entry.asset.rawValue.padded(toWidth: 8)
        let percent = String(Int(fraction * 100)).padded(toWidthFromLeft: 3)
        return "\(name) [\(bar)] \(percent)%  \(entry.doneHours)/\(entry.totalHours) h  "
            + "\(Int(rate)) rows/s  \(eta)" + (entry.note.map { "  (\($0))" } ?? "")
    }
}
