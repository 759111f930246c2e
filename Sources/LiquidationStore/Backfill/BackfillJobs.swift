import FoundationEssentials
import LiquidationModel
import Postgres

/// A backfill's progress, kept in `liquidations.backfill_job` so that running the same command
/// again after a crash or Ctrl-C continues where it stopped.
public struct BackfillJob: Sendable, Equatable {
    public let id: Int64
    public let asset: AssetCode
    public let range: HourWindow
    /// Every hour in `[range.start, doneUntil)` is committed.
    public var doneUntil: UTCHour
    public var isDone: Bool { doneUntil >= range.end }
    public var remaining: HourWindow { HourWindow(start: min(doneUntil, range.end), end: range.end) }
}

public enum BackfillJobs {
    /// The unfinished job starting at `start` (and ending at `end`, when given), if any: the
    /// same command run again finds the job it left, even though the asset's watermark, the
    /// default end of a new range, has moved since. Read-only, for plans and dry runs.
    public static func existing(asset: AssetCode, start: UTCHour, end: UTCHour?, on connection: PostgresConnection)
        async throws -> BackfillJob?
    {
        try await storeOperation("reading backfill progress of \(asset)") {
            try await connection.query(
                """
                SELECT job_id, range_end, done_until FROM liquidations.backfill_job
                WHERE asset = \(asset) AND range_start = \(start) AND (\(end)::timestamptz IS NULL OR range_end = \(end))
                  AND status = 'running'
                ORDER BY updated_at DESC
                LIMIT 1
                """, name: "backfill.find"
            ).rows.first.map { row in
                let (id, rangeEnd, doneUntil) = try row.decode(Int64.self, UTCHour.self, UTCHour.self)
                return BackfillJob(id: id, asset: asset, range: HourWindow(start: start, end: rangeEnd), doneUntil: doneUntil)
            }
        }
    }

    /// The finished job starting at `start` that reaches furthest (at least to `end`, when
    /// given): the same command run again after it completed has nothing left to do.
    public static func finished(asset: AssetCode, start: UTCHour, end: UTCHour?, on connection: PostgresConnection)
        async throws -> BackfillJob?
    {
        try await storeOperation("reading backfill progress of \(asset)") {
            try await connection.query(
                """
                SELECT job_id, range_end FROM liquidations.backfill_job
                WHERE asset = \(asset) AND range_start = \(start) AND (\(end)::timestamptz IS NULL OR range_end >= \(end))
                  AND status = 'done'
                ORDER BY range_end DESC
                LIMIT 1
                """, name: "backfill.find finished"
            ).rows.first.map { row in
                let (id, rangeEnd) = try row.decode(Int64.self, UTCHour.self)
                return BackfillJob(id: id, asset: asset, range: HourWindow(start: start, end: rangeEnd), doneUntil: rangeEnd)
            }
        }
    }

    /// Resumes the unfinished job for this range, or starts one; `restart` starts it over.
    /// `tracking` also starts tracking an asset not tracked yet from the range's start, in the
    /// same transaction: killed between the two, a rerun of the same command would find the
    /// asset tracked with nothing loaded (its watermark, the default end of a range, at the
    /// range's start) and no job to resume. Returns whether it started tracking the asset.
    public static func startOrResume(
        asset: AssetCode, range: HourWindow, restart: Bool, tracking: Bool = false, on connection: PostgresConnection
    ) async throws -> (job: BackfillJob, startedTracking: Bool) {
        try await storeOperation("starting the backfill of \(asset)") {
            try await connection.withTransaction { connection in
                let startedTracking: Bool
                if tracking, case .added = try AssetStore.add(asset, syncFrom: range.start, connection: connection) {
                    startedTracking = true
                } else {
                    startedTracking = false
                }
                return (try startOrResume(asset: asset, range: range, restart: restart, connection: connection), startedTracking)
            }
        }
    }

    private static func startOrResume(
        asset: AssetCode, range: HourWindow, restart: Bool, connection: isolated PostgresConnection
    ) throws -> BackfillJob {
        if let row = try connection.query(
            """
            UPDATE liquidations.backfill_job
            SET done_until = CASE WHEN \(restart) THEN range_start ELSE done_until END, updated_at = now()
            WHERE asset = \(asset) AND range_start = \(range.start) AND range_end = \(range.end)
              AND status = 'running'
            RETURNING job_id, done_until
            """, name: "backfill.resume"
        ).rows.first {
            let (id, doneUntil) = try row.decode(Int64.self, UTCHour.self)
            return BackfillJob(id: id, asset: asset, range: range, doneUntil: doneUntil)
        }
        let id = try connection.query(
            """
            INSERT INTO liquidations.backfill_job (asset, range_start, range_end, done_until)
            VALUES (\(asset), \(range.start), \(range.end), \(range.start))
            RETURNING job_id
            """, name: "backfill.create"
        ).scalar(Int64.self)
        return BackfillJob(id: id, asset: asset, range: range, doneUntil: range.start)
    }

    /// Inside the chunk's transaction: records progress, finishes the job at its end, and
    /// extends the asset's `sync_from` back to the job's start once the loaded history reaches
    /// the tracked range (so `[sync_from, watermark)` stays complete).
    public static func recordProgress(_ job: BackfillJob, doneUntil: UTCHour, connection: isolated PostgresConnection) throws {
        try connection.query(
            """
            UPDATE liquidations.backfill_job
            SET done_until = \(doneUntil), updated_at = now(),
                status = CASE WHEN \(doneUntil) >= range_end THEN 'done' ELSE 'running' END
            WHERE job_id = \(job.id)
            """, name: "backfill.progress")
        try connection.query(
            """
            UPDATE liquidations.asset
            SET sync_from = \(job.range.start)
            WHERE asset = \(job.asset) AND sync_from > \(job.range.start) AND sync_from <= \(doneUntil)
            """, name: "backfill.extend sync_from")
    }
}
