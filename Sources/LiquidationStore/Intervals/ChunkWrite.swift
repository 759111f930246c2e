import Foundation
import LiquidationModel

/// Why a chunk is being written: the service keeping current, or a backfill of history.
public enum RunKind: String, Sendable {
    case sync
    case backfill
}

/// One fetched window of one asset, ready to be written in one transaction.
public struct ChunkWrite: Sendable {
    public var asset: AssetCode
    public var window: HourWindow
    /// Validated records of hours inside `window`; hours absent here are written as zeros.
    public var records: [IntervalRecord]
    public var kind: RunKind
    public var pages: Int
    public var dataVersion: String?
    public var startedAt: Date

    public init(
        asset: AssetCode, window: HourWindow, records: [IntervalRecord], kind: RunKind, pages: Int,
        dataVersion: String?, startedAt: Date
    ) {
        self.asset = asset
        self.window = window
        self.records = records
        self.kind = kind
        self.pages = pages
        self.dataVersion = dataVersion
        self.startedAt = startedAt
    }
}

/// What a chunk's transaction changed. Unchanged rows are not rewritten.
public struct ChunkWriteResult: Sendable, Equatable {
    public var hoursInserted = 0
    public var hoursUpdated = 0
    public var hoursUnchanged = 0
    public var exchangeRowsInserted = 0
    public var exchangeRowsUpdated = 0
    public var exchangeRowsDeleted = 0
    public var exchangeRowsUnchanged = 0
    /// The asset's watermark after the commit.
    public var watermark: UTCHour

    public var rowsInserted: Int { hoursInserted + exchangeRowsInserted }
    public var rowsUpdated: Int { hoursUpdated + exchangeRowsUpdated }
    public var rowsDeleted: Int { exchangeRowsDeleted }
    public var rowsUnchanged: Int { hoursUnchanged + exchangeRowsUnchanged }
    public var rowsWritten: Int { rowsInserted + rowsUpdated + rowsDeleted }

    public init(watermark: UTCHour) { self.watermark = watermark }
}
