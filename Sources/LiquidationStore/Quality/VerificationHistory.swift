import FoundationEssentials
import Postgres

/// What `liqsync verify` checked and when (`liquidations.verification_run`, migration 0013): the
/// next verification of every asset starts where the last clean one could vouch for.
public struct VerificationHistory: Sendable {
    public let connection: PostgresConnection

    public init(connection: PostgresConnection) {
        self.connection = connection
    }

    /// The time from which changes have not been checked by a verification that found nothing
    /// wrong; nil when no verification was clean (everything is to be checked).
    public func lastClean() async throws -> Date? {
        try await storeOperation("reading the last verification") {
            try await connection.query(
                "SELECT max(checked_through) FROM liquidations.verification_run WHERE problems = 0",
                name: "verify.last-clean"
            ).scalar(Date?.self)
        }
    }

    /// In the verification's snapshot: when it was taken, and the time before which every change
    /// is in it. A transaction still open then (a chunk being written) commits later with rows
    /// dated at its start: what it changed must be checked by the next verification too, so
    /// the oldest open transaction's start counts. The server hides that of another role's
    /// sessions from a role without the privilege to see it: when the database has such a
    /// session, ten minutes more are left for the next verification.
    static func moment(_ connection: isolated PostgresConnection) throws -> (startedAt: Date, checkedThrough: Date) {
        let row = try connection.query(
            """
            SELECT now(),
                   least(now(), (SELECT min(xact_start) FROM pg_stat_activity
                                 WHERE datname = current_database() AND pid <> pg_backend_pid()))
                   - CASE WHEN EXISTS (SELECT 1 FROM pg_stat_activity
                                       WHERE datname = current_database() AND backend_type = 'client backend'
                                         AND state IS NULL)
                          THEN interval '10 minutes' ELSE interval '0' END
            """, name: "verify.moment"
        ).rows[0]
        return try row.decode(Date.self, Date.self)
    }

    /// Records a verification of every asset. A verification run by a role that may only read
    /// is not recorded: the next one then starts where the last recorded clean one did.
    @discardableResult
    func record(_ report: DataQuality.Report, startedAt: Date, checkedThrough: Date) async -> Bool {
        let since: Date? = if case .changedSince(let since) = report.scope { since } else { nil }
        let full = report.scope == .everything
        let problems = report.counts.values.reduce(0, +)
        do {
            try await connection.query(
                """
                INSERT INTO liquidations.verification_run (started_at, checked_through, full_check, checked_since, problems)
                VALUES (\(startedAt), \(checkedThrough), \(full), \(since), \(problems))
                """, name: "verify.record")
            return true
        } catch {
            return false
        }
    }
}
