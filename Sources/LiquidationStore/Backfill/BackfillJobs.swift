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
    /// Every backfill job of the asset, finished or not (a handful: one per command that was run).
    public static func all(asset: AssetCode, on connection: PostgresConnection) async throws -> [BackfillJob] {
        try await storeOperation("reading backfill progress of \(asset)") {
            try await connection.query(
                """
                SELECT job_id, range_start, range_end, done_until FROM liquidations.backfill_job
                WHERE asset = \(asset) ORDER BY range_start, job_id
                """, name: "backfill.jobs"
            ).rows.map { row in
                let (id, start, end, doneUntil) = try row.decode(Int64.self, UTCHour.self, UTCHour.self, UTCHour.self)
                return BackfillJob(id: id, asset: asset, range: HourWindow(start: start, end: end), doneUntil: doneUntil)
            }
        }
    }

    /// Where a backfill of `range` starts, given the asset's `jobs`: after the hours from
    /// `range.start` on that earlier backfills committed without a gap (a job's committed part
    /// is `[its start, its done_until)`, whether it finished or was interrupted), at most
    /// `range.end`. A range that extends a finished one loads the difference; one that overlaps
    /// an interrupted one resumes what is missing and goes on to its own end. Pure.
    public static func resumePoint(of range: HourWindow, after jobs: [BackfillJob]) -> UTCHour {
        var cursor = range.start
        for job in jobs.sorted(by: { $0.range.start < $1.range.start }) where job.doneUntil > job.range.start {
            guard job.range.start <= cursor else { break }
            cursor = max(cursor, job.doneUntil)
        }
        return min(cursor, range.end)
    }

    /// The end of the latest interrupted job from `start`: the same command run again without
    /// `--to` goes on to where it was headed, even though the watermark (the default end of a
    /// new range) stopped where the job did.
    public static func interruptedEnd(from start: UTCHour, jobs: [BackfillJob]) -> UTCHour? {
        jobs.filter { $0.range.start == start && !$0.isDone }.map(\.range.end).max()
    }

    /// Resumes the unfinished job for this range, or starts one, from `resumeFrom` (what earlier
    /// backfills committed, `resumePoint`) or further if the job itself got further; `restart`
    /// starts it over. `tracking` also starts tracking an asset not tracked yet from the range's
    /// start, in the same transaction: killed between the two, a rerun of the same command would
    /// find the asset tracked with nothing loaded (its watermark, the default end of a range, at
    /// the range's start) and no job to resume. Returns whether it started tracking the asset.
    public static func startOrResume(
        asset: AssetCode, range: HourWindow, resumeFrom: UTCHour, restart: Bool, tracking: Bool = false,
        on connection: PostgresConnection
    ) async throws -> (job: BackfillJob, startedTracking: Bool) {
        let resumeFrom = restart ? range.start : min(max(resumeFrom, range.start), range.end)
        return try await storeOperation("starting the backfill of \(asset)") {
            try await connection.withTransaction { connection in
                let startedTracking: Bool
                if tracking, case .added = try AssetStore.add(asset, syncFrom: range.start, connection: connection) {
                    startedTracking = true
                } else {
                    startedTracking = false
                }
                let job = try startOrResume(asset: asset, range: range, resumeFrom: resumeFrom, restart: restart, connection: connection)
                return (job, startedTracking)
            }
        }
    }

    private static func startOrResume(
        asset: AssetCode, range: HourWindow, resumeFrom: UTCHour, restart: Bool, connection: isolated PostgresConnection
    ) throws -> BackfillJob {
        if let row = try connection.query(
            """
            UPDATE liquidations.backfill_job
            SET done_until = CASE WHEN \(restart) THEN range_start ELSE greatest(done_until, \(resumeFrom)) END,
                updated_at = now()
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
            VALUES (\(asset), \(range.start), \(range.end), \(resumeFrom))
            RETURNING job_id
            """, name: "backfill.create"
        ).scalar(Int64.self)
        return BackfillJob(id: id, asset: asset, range: range, doneUntil: resumeFrom)
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

/// A backfill job not finished: loading now, or interrupted (the same command run again
/// resumes it), as `liqsync status` shows it.
public struct UnfinishedBackfill: Sendable, Equatable {
    public let job: BackfillJob
    /// Its asset is claimed by a live liqsync and a chunk was committed within `BackfillJobs.recentProgress`.
    public let running: Bool
    public let lastProgressAt: Date
    public var hoursDone: Int { job.range.start.distance(to: job.doneUntil) }
}

extension BackfillJobs {
    /// A running backfill commits a chunk every few seconds, one of a slow API within minutes.
    public static let recentProgress: Duration = .seconds(600)

    /// Every job not finished, by asset and range.
    public static func unfinished(on connection: PostgresConnection) async throws -> [UnfinishedBackfill] {
        try await storeOperation("reading the backfills not finished") {
            try await connection.query(
                """
                SELECT j.job_id, j.asset, j.range_start, j.range_end, j.done_until, j.updated_at,
                       j.updated_at > now() - make_interval(secs => \(Int(recentProgress.components.seconds)))
                           AND EXISTS (SELECT 1 FROM liquidations.asset_claim AS c WHERE c.asset = j.asset
                                       AND c.expires_at > now() AND \(sql: AssetClaimStore.sessionAlive))
                FROM liquidations.backfill_job AS j
                WHERE j.status = 'running'
                ORDER BY j.asset, j.range_start, j.job_id
                """, name: "backfill.unfinished"
            ).rows.map { row in
                let (id, asset, start, end, doneUntil, updatedAt, running) = try row.decode(
                    Int64.self, AssetCode.self, UTCHour.self, UTCHour.self, UTCHour.self, Date.self, Bool.self)
                return UnfinishedBackfill(
                    job: BackfillJob(id: id, asset: asset, range: HourWindow(start: start, end: end), doneUntil: doneUntil),
                    running: running, lastProgressAt: updatedAt)
            }
        }
    }
}
