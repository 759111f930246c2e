import FoundationEssentials
import LiquidationModel
import Postgres

/// Data-quality checks over what is stored (`QualityChecks`), in one read-only snapshot.
///
/// Three scopes. `verify(full: false)`, the default of `liqsync verify`: row by row, the days
/// whose rollups changed since the last clean verification (what liqsync wrote since: a chunk
/// rewrites the rollups of the days it touches, in its transaction), and, through the rollups,
/// the day-level invariants of every asset's whole history (no day missing or short of hours;
/// the months equal to the sums of their days, for the months of the changed days); the first
/// verification, or one after a verification that found problems, checks from the last clean
/// one (everything when there is none). `verify(full: true)`: every row. `run(assets:from:to:)`:
/// every row of the assets and range asked for. A verification of every asset records itself
/// (`liquidations.verification_run`), so the next one knows where to start.
public struct DataQuality: Sendable {
    public let connection: PostgresConnection
    /// At most this many findings per kind are listed (all are counted).
    public var limitPerKind = 50

    public init(connection: PostgresConnection) {
        self.connection = connection
    }

    public struct Report: Sendable {
        public enum Scope: Sendable, Equatable {
            /// Every row of every asset.
            case everything
            /// Row by row the days changed from this time on; every asset's history through its rollups.
            case changedSince(Date)
            /// Every row of the assets and range asked for.
            case limited

            /// For `changedSince`: the time.
            public var changedSince: Date? {
                if case .changedSince(let since) = self { return since }
                return nil
            }
        }

        public init(scope: Scope = .limited) { self.scope = scope }
        public var scope: Scope
        public var problems: [QualityProblem] = []
        public var counts: [QualityProblem.Kind: Int] = [:]
        /// Hours checked row by row.
        public var hoursChecked: Int64 = 0
        /// Days checked through their rollups (a verification of the changed days).
        public var daysChecked: Int64 = 0
        public var seconds: Double = 0
        /// Whether a verification of every asset was recorded for the next one to start from.
        public var recorded = false
        public var isClean: Bool { counts.values.allSatisfy { $0 == 0 } }

        mutating func add(_ kind: QualityProblem.Kind, _ rows: [PostgresRow], limit: Int) throws {
            counts[kind, default: 0] += rows.count
            let listed = problems.count { $0.kind == kind }
            for row in rows.prefix(max(0, limit - listed)) {
                let (asset, start, end, detail) = try row.decode(String.self, Date.self, Date?.self, String.self)
                problems.append(QualityProblem(kind: kind, asset: asset, start: start, end: end, detail: detail))
            }
        }
    }

    /// Every row of `assets` (all when nil) in `[from, to)` (unbounded where nil).
    public func run(assets: [AssetCode]?, from: UTCHour?, to: UTCHour?) async throws -> Report {
        let started = ContinuousClock.now
        let names = assets?.map(\.rawValue)
        let limitPerKind = self.limitPerKind
        var report = try await storeOperation("verifying the data") {
            try await connection.withTransaction { connection in
                try Self.snapshot(connection)
                var report = Report()
                try Self.checkRows(names, from?.postgresText, to?.postgresText, gaps: true, into: &report, limit: limitPerKind, connection)
                // Sums across assets have no asset to scope by: checked, whole, when every asset is.
                if names == nil { try Self.checkExchangeMonths(into: &report, limit: limitPerKind, connection) }
                return report
            }
        }
        report.seconds = started.duration(to: .now).inSeconds
        return report
    }

    /// Every asset: what changed since the last clean verification (or everything, `full`, or
    /// when there is none). Recorded for the next one.
    public func verify(full: Bool) async throws -> Report {
        let started = ContinuousClock.now
        let limitPerKind = self.limitPerKind
        let history = VerificationHistory(connection: connection)
        let since = full ? nil : try await history.lastClean()
        var (report, startedAt, checkedThrough) = try await storeOperation("verifying the data") {
            try await connection.withTransaction { connection in
                try Self.snapshot(connection)
                let (startedAt, checkedThrough) = try VerificationHistory.moment(connection)
                guard let since else {
                    var report = Report(scope: .everything)
                    try Self.checkRows(nil, nil, nil, gaps: true, into: &report, limit: limitPerKind, connection)
                    try Self.checkExchangeMonths(into: &report, limit: limitPerKind, connection)
                    return (report, startedAt, checkedThrough)
                }
                var report = Report(scope: .changedSince(since))
                try Self.checkChangedDays(since: since, into: &report, limit: limitPerKind, connection)
                try Self.checkGapsThroughRollups(into: &report, limit: limitPerKind, connection)
                try Self.checkExchangeMonths(into: &report, limit: limitPerKind, connection)
                return (report, startedAt, checkedThrough)
            }
        }
        report.seconds = started.duration(to: .now).inSeconds
        report.recorded = await history.record(report, startedAt: startedAt, checkedThrough: checkedThrough)
        return report
    }

    /// One snapshot for every check, changing nothing.
    private static func snapshot(_ connection: isolated PostgresConnection) throws {
        try connection.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
    }

    /// Every check, row by row, limited to `assets` (text[] or nil) and `[from, to)` (or nil).
    private static func checkRows(
        _ assets: [String]?, _ from: String?, _ to: String?, gaps: Bool, into report: inout Report, limit: Int,
        _ connection: isolated PostgresConnection
    ) throws {
        let binds = [assets.postgresText, from, to]
        report.hoursChecked += try connection.query(
            PostgresQuery(
                unsafeSQL: """
                    SELECT count(*) FROM liquidations.token_interval AS x WHERE \(QualityChecks.scope)
                    """, binds: binds, name: "verify.count")
        ).scalar(Int64.self)
        for (kind, sql) in gaps ? QualityChecks.checks : QualityChecks.rowChecks {
            let rows = try connection.query(PostgresQuery(unsafeSQL: sql, binds: binds, name: "verify.\(kind.rawValue)")).rows
            try report.add(kind, rows, limit: limit)
        }
    }

    /// Row by row, the days whose daily rollup changed since `since`, a run of close days (of
    /// any of their assets) at a time: the days a pass or a backfill wrote are together.
    private static func checkChangedDays(
        since: Date, into report: inout Report, limit: Int, _ connection: isolated PostgresConnection
    ) throws {
        let changed = try connection.query(
            """
            SELECT asset, day::timestamp AT TIME ZONE 'UTC' FROM liquidations.token_day
            WHERE updated_at >= \(since) ORDER BY day, asset
            """, name: "verify.changed-days"
        ).rows.map { try $0.decode(String.self, UTCHour.self) }
        for run in ChangedDays.runs(changed) {
            try checkRows(
                Array(run.assets).sorted(), run.days.start.postgresText, run.days.end.postgresText, gaps: false,
                into: &report, limit: limit, connection)
        }
    }

    /// Every exchange and month's sums across assets against every asset's monthly rollup: a
    /// change the triggers log wrongly would otherwise go unseen by the per-asset checks.
    private static func checkExchangeMonths(into report: inout Report, limit: Int, _ connection: isolated PostgresConnection) throws {
        let rows = try connection.query(
            PostgresQuery(unsafeSQL: QualityChecks.exchangeMonthDisagreements, name: "verify.exchange-months")
        ).rows
        try report.add(.rollupMismatch, rows, limit: limit)
    }

    /// The gaps of every asset's whole history, through the daily rollups: the days that may hold
    /// one are checked hour by hour.
    private static func checkGapsThroughRollups(into report: inout Report, limit: Int, _ connection: isolated PostgresConnection) throws {
        report.daysChecked = try connection.query("SELECT count(*) FROM liquidations.token_day", name: "verify.days").scalar(Int64.self)
        let days = try connection.query(
            PostgresQuery(unsafeSQL: QualityChecks.daysThatMayHoldGaps, name: "verify.gap-days")
        ).rows.map { try $0.decode(String.self, String.self) }
        guard !days.isEmpty else { return }
        let gaps = try connection.query(
            PostgresQuery(
                unsafeSQL: QualityChecks.gapsOnDays, binds: [days.map(\.0).postgresText, days.map(\.1).postgresText],
                name: "verify.gap")
        ).rows
        try report.add(.gap, gaps, limit: limit)
    }
}

/// The days a verification checks row by row, in runs: days of any asset no more than a week
/// apart make one run, checked with one set of queries over the run's assets and range.
enum ChangedDays {
    struct Run: Equatable {
        var assets: Set<String>
        /// The run's first day and the day after its last (UTC day starts).
        var days: HourWindow
    }

    /// `changed` (asset, the day's first hour), in order of day.
    static func runs(_ changed: [(String, UTCHour)], within gap: Int = 7 * 24) -> [Run] {
        var runs: [Run] = []
        for (asset, day) in changed {
            let end = day.advanced(by: 24)
            if let last = runs.last, last.days.end.distance(to: day) <= gap {
                runs[runs.count - 1].assets.insert(asset)
                runs[runs.count - 1].days = HourWindow(start: last.days.start, end: max(last.days.end, end))
            } else {
                runs.append(Run(assets: [asset], days: HourWindow(start: day, end: end)))
            }
        }
        return runs
    }
}
