import FoundationEssentials
import LiquidationModel
import Postgres

/// What a chunk does to the open hours of its window (`liquidations.emptied_hour`, migration
/// 0009): a stored hour with liquidations that the chunk empties is opened, and so are the new
/// hours the same answer brings empty (an answer that empties stored hours is suspect as a
/// whole: an outage upstream looks like that); an open hour the chunk brings liquidations for
/// again is restored (the outage is over); an open hour read empty again at least
/// `confirmationSeconds` after it emptied is confirmed (a revision). Open hours are re-read by
/// every sync pass and are not final.
struct OpenHourChanges: Equatable {
    var opened: [UTCHour] = []
    var confirmed: [UTCHour] = []
    var restored: [UTCHour] = []

    /// No hour opens or closes.
    var isEmpty: Bool { opened.isEmpty && confirmed.isEmpty && restored.isEmpty }

    /// Pure: the decision, from the chunk's window and vanishing hours, the hours stored before
    /// it, the window's open hours with when each emptied, the chunk's records and when the read
    /// started.
    init(
        window: HourWindow, vanishing: [UTCHour], storedHours: Set<UTCHour>, openSince: [UTCHour: Date],
        records byHour: [UTCHour: IntervalRecord], readAt: Date, confirmationSeconds: Int64
    ) {
        opened = vanishing
        if !vanishing.isEmpty {
            opened += window.hours.filter { hour in !storedHours.contains(hour) && (byHour[hour]?.isEmpty ?? true) }
            opened.sort()
        }
        for (hour, emptiedAt) in openSince.sorted(by: { $0.key < $1.key }) {
            if let record = byHour[hour], !record.isEmpty {
                restored.append(hour)
            } else if readAt.timeIntervalSince(emptiedAt) >= Double(confirmationSeconds) {
                confirmed.append(hour)
            }
        }
    }

    /// Writes the decision, in the chunk's transaction.
    func apply(asset: AssetCode, readAt: Date, connection: isolated PostgresConnection) throws {
        if !opened.isEmpty {
            try connection.query(
                """
                INSERT INTO liquidations.emptied_hour (asset, interval_start, emptied_at)
                SELECT \(asset), unnest(\(opened)::timestamptz[]), \(readAt)
                ON CONFLICT (asset, interval_start) DO NOTHING
                """, name: "open emptied hours")
        }
        let closed = confirmed + restored
        if !closed.isEmpty {
            try connection.query(
                """
                DELETE FROM liquidations.emptied_hour
                WHERE asset = \(asset) AND interval_start = ANY(\(closed)::timestamptz[])
                """, name: "close open hours")
        }
    }
}
