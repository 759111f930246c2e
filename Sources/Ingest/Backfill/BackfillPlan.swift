import LiquidationModel
import LiquidationStore
import Postgres

/// What a backfill of one asset would do, decided without changing anything.
public struct BackfillPlan: Sendable {
    public let asset: AssetCode
    public let range: HourWindow
    /// Where it resumes (the range's start unless earlier backfills committed further).
    public let resumeFrom: UTCHour
    public let chunks: [HourWindow]
    public let tracksNewAsset: Bool
    /// The end of the settled hours when the plan was made; no chunk reaches past it.
    public let settledEnd: UTCHour
    /// Earlier backfills committed the whole range: nothing to do without `--restart`.
    public var alreadyLoaded = false
    /// The range ends at the asset's watermark because no `--to` was given: what comes after
    /// it is the sync's to load, not a backfill's.
    public var endsAtWatermark = false

    public var description: String {
        if alreadyLoaded {
            let after = endsAtWatermark
                ? "; the hours from its watermark \(range.end) on are loaded by `liqsync sync` or the service (`liqsync run`)" : ""
            return "\(asset): \(range) already loaded by an earlier backfill (--restart loads it again)\(after)"
        }
        let hours = chunks.reduce(0) { $0 + $1.hourCount }
        var text = "\(asset): \(range), \(hours) hours in \(chunks.count) chunk\(chunks.count == 1 ? "" : "s") "
            + "(about \(chunks.count) request\(chunks.count == 1 ? "" : "s"))"
        if resumeFrom > range.start { text += ", resuming at \(resumeFrom)" }
        if tracksNewAsset { text += ", starts tracking it from \(range.start)" }
        return text
    }

    /// The range to load: `[from, to)`, `to` defaulting to the asset's watermark (or, for an
    /// asset not tracked yet, the end of the settled hours). A `to` past `settledEnd` is refused:
    /// hours that have not ended (and settled) have no data yet, and storing them as zeros would
    /// move the watermark into the future.
    public static func make(
        asset: AssetCode, from: UTCHour, to: UTCHour?, restart: Bool, settledEnd: UTCHour, maxChunkHours: Int,
        on connection: PostgresConnection
    ) async throws -> BackfillPlan {
        if let to, to > settledEnd {
            throw BackfillError.pastSettledHours(asset: asset, to: to, settledEnd: settledEnd)
        }
        let tracked = try await AssetStore(connection: connection).asset(asset)
        let jobs = tracked == nil ? [] : try await BackfillJobs.all(asset: asset, on: connection)
        // Without --to: the watermark (the last settled hour for an asset not tracked yet), or
        // where an interrupted run of the same command was headed. A watermark set by a service
        // with a shorter settle delay may be a little ahead.
        let end = to ?? min(
            max(tracked?.watermark ?? settledEnd, BackfillJobs.interruptedEnd(from: from, jobs: jobs) ?? from), settledEnd)
        guard from < end else {
            throw BackfillError.emptyRange(asset: asset, from: from, to: end)
        }
        let range = HourWindow(start: from, end: end)
        // A job is identified by its whole range: what earlier backfills committed from `from` on
        // is not loaded again, and the rest of this range is.
        let resumeFrom = restart ? from : BackfillJobs.resumePoint(of: range, after: jobs)
        if resumeFrom >= end {
            var plan = BackfillPlan(
                asset: asset, range: range, resumeFrom: end, chunks: [], tracksNewAsset: false, settledEnd: settledEnd)
            plan.alreadyLoaded = true
            plan.endsAtWatermark = to == nil && end == tracked?.watermark
            return plan
        }
        return BackfillPlan(
            asset: asset, range: range, resumeFrom: resumeFrom,
            chunks: HourWindow(start: resumeFrom, end: end).chunks(ofAtMost: maxChunkHours), tracksNewAsset: tracked == nil,
            settledEnd: settledEnd)
    }
}

public enum BackfillError: Error, Sendable, CustomStringConvertible {
    case emptyRange(asset: AssetCode, from: UTCHour, to: UTCHour)
    /// `--to` reaches past the hours that have ended and settled.
    case pastSettledHours(asset: AssetCode, to: UTCHour, settledEnd: UTCHour)

    public var description: String {
        switch self {
        case .emptyRange(let asset, let from, let to):
            return "nothing to backfill for \(asset): --from \(from) is not before \(to) (the end of the range)"
        case .pastSettledHours(let asset, let to, let settledEnd):
            return "cannot backfill \(asset) up to \(to): hours from \(settledEnd) on have not ended and settled yet; "
                + "give an earlier --to, or none to load up to the watermark (or the last settled hour)"
        }
    }
}
