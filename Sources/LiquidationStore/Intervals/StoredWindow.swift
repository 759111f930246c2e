import FoundationEssentials
import LiquidationModel
import Postgres

/// What is stored for a chunk's window before it is written: what the diff, the vanishing guard
/// and the open hours are decided against. One indexed read of the hourly rows.
struct StoredWindow {
    /// Each stored hour's fingerprint (nil for a row written before fingerprints existed).
    var fingerprints: [UTCHour: Int64?] = [:]
    /// Stored hours that have liquidations (`FigureColumns.hasLiquidations`), in order.
    var withLiquidations: [UTCHour] = []
    /// Open hours (`OpenHourChanges`) and when each emptied.
    var openSince: [UTCHour: Date] = [:]

    var hours: Set<UTCHour> { Set(fingerprints.keys) }
    var isEmpty: Bool { fingerprints.isEmpty }

    static func read(_ asset: AssetCode, _ window: HourWindow, connection: isolated PostgresConnection) throws -> StoredWindow {
        var stored = StoredWindow()
        for row in try connection.query(
            """
            SELECT t.interval_start, t.content_hash, \(sql: FigureColumns.hasLiquidations), o.emptied_at
            FROM liquidations.token_interval AS t
            LEFT JOIN liquidations.emptied_hour AS o ON o.asset = t.asset AND o.interval_start = t.interval_start
            WHERE t.asset = \(asset) AND t.interval_start >= \(window.start) AND t.interval_start < \(window.end)
            ORDER BY t.interval_start
            """, name: "read fingerprints"
        ).rows {
            let (hour, fingerprint, hasLiquidations, emptiedAt) = try row.decode(UTCHour.self, Int64?.self, Bool.self, Date?.self)
            stored.fingerprints[hour] = fingerprint
            if hasLiquidations { stored.withLiquidations.append(hour) }
            if let emptiedAt { stored.openSince[hour] = emptiedAt }
        }
        return stored
    }
}

/// The hours of a chunk whose content differs from what is stored (or that are new): only they
/// are written. Pure.
struct ChangedHours {
    /// The chunk's records by hour; an hour absent here is written as zeros.
    let records: [UTCHour: IntervalRecord]
    /// The changed hours in order, with their new fingerprints.
    private(set) var hours: [(hour: UTCHour, fingerprint: Int64)] = []
    private(set) var unchangedHours = 0
    private(set) var unchangedExchangeRows = 0

    /// An hour is unchanged when its fingerprint equals the stored one, unless it is `forced`
    /// (a repair of rows edited in the tables, which fingerprints cannot see).
    init(_ chunk: ChunkWrite, stored: StoredWindow) {
        self.init(window: chunk.window, records: chunk.records) { hour, fingerprint in
            stored.fingerprints[hour] == fingerprint && !chunk.forcedHours.contains(hour)
        }
    }

    /// Every hour of `window`, as the records have it (to compare them with what is stored).
    init(everyHourOf window: HourWindow, records: [IntervalRecord]) {
        self.init(window: window, records: records) { _, _ in false }
    }

    private init(window: HourWindow, records: [IntervalRecord], isUnchanged: (UTCHour, Int64) -> Bool) {
        var byHour: [UTCHour: IntervalRecord] = [:]
        byHour.reserveCapacity(records.count)
        for record in records { byHour[record.hour] = record }
        self.records = byHour
        for hour in window.hours {
            let record = byHour[hour]
            let fingerprint = record.map(HourFingerprint.of) ?? HourFingerprint.empty
            if isUnchanged(hour, fingerprint) {
                unchangedHours += 1
                unchangedExchangeRows += record?.exchanges.count ?? 0
            } else {
                hours.append((hour, fingerprint))
            }
        }
    }

    var isEmpty: Bool { hours.isEmpty }

    /// The figures an hour is written with: the record's totals, or zeros.
    func totals(_ hour: UTCHour) -> LiquidationFigures { records[hour]?.totals ?? .zero }

    /// The exchange rows of the changed hours, hour by hour (visited in place: a chunk has some
    /// 5,000 of them, and a list of copies cost more than the COPY encoding), with the hour's
    /// text for COPY printed once for all of its rows.
    func forEachExchangeRow(_ body: (_ hourText: String, borrowing ExchangeBreakdown) throws -> Void) rethrows {
        for (hour, _) in hours {
            guard let exchanges = records[hour]?.exchanges, !exchanges.isEmpty else { continue }
            let hourText = hour.description
            for index in exchanges.indices { try body(hourText, exchanges[index]) }
        }
    }

    /// The exchange codes the changed hours use.
    var exchangeCodes: Set<String> {
        var codes: Set<String> = []
        forEachExchangeRow { _, exchange in codes.insert(exchange.exchange) }
        return codes
    }
}
