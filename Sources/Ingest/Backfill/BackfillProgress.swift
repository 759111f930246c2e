import FoundationEssentials
import LiquidationModel
import Synchronization

/// Live progress of the backfills of one command, shared by their tasks and the reporter.
public final class BackfillProgress: Sendable {
    public struct Entry: Sendable {
        public var asset: AssetCode
        public var totalHours: Int
        public var doneHours = 0
        public var rowsWritten = 0
        public var requests = 0
        public var started = ContinuousClock.now
        public var finished = false
        public var note: String?
    }

    private let entries = Mutex<[AssetCode: Entry]>([:])

    public init() {}

    public func begin(_ asset: AssetCode, totalHours: Int, alreadyDone: Int) {
        entries.withLock { $0[asset] = Entry(asset: asset, totalHours: totalHours, doneHours: alreadyDone) }
    }

    public func advance(_ asset: AssetCode, hours: Int, rows: Int, requests: Int) {
        entries.withLock {
            $0[asset]?.doneHours += hours
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
