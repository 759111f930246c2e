import Foundation
import LiquidationModel
import LiquidationStore
import Logging
import Postgres
import Testing

@Suite("Migrations: fresh, repeated, edited, concurrent; the BI surface they create")
struct MigrationTests {
    let logger = Logger(label: "test")

    @Test func freshDatabaseGetsEveryMigrationThenARerunIsANoOp() async throws {
        let database = try await TestDatabase.create()
        let migrations = try Migration.embedded()
        try await database.withConnection { connection async throws in
            let runner = MigrationRunner(connection: connection, migrations: migrations, logger: logger)
            let dryRun = try await runner.migrate(dryRun: true)
            #expect(dryRun.pending == migrations.map(\.fileName))
            #expect(try await connection.query("SELECT to_regclass('liquidations.schema_migrations')::text")
                .scalar(String?.self) == nil, "a dry run creates nothing")

            let first = try await runner.migrate()
            #expect(first.applied == migrations.map(\.fileName))
            let appliedAt = try await connection.query(
                "SELECT string_agg(applied_at::text, ',') FROM liquidations.schema_migrations").scalar(String.self)

            let second = try await runner.migrate()
            #expect(second.applied.isEmpty && second.pending.isEmpty)
            let appliedAtAfter = try await connection.query(
                "SELECT string_agg(applied_at::text, ',') FROM liquidations.schema_migrations").scalar(String.self)
            #expect(appliedAt == appliedAtAfter)
            try await runner.requireUpToDate()
        }
    }

    /// The schema's side of `Measure`: every measure is a column of each table that stores
    /// figures (of its kind's type), of the revision log as old and new, and of each view that
    /// shows figures. A new measure without its migration fails here.
    @Test func everyMeasureIsAColumnOfEveryTableAndViewOfFigures() async throws {
        let database = try await TestDatabase.create()
        try await database.withConnection { connection async throws in
            _ = try await MigrationRunner(connection: connection, migrations: try Migration.embedded(), logger: logger)
                .migrate()
            var columns: [String: String] = [:]
            for row in try await connection.query(
                """
                SELECT table_name || '.' || column_name, data_type FROM information_schema.columns
                WHERE table_schema = 'liquidations'
                """
            ).rows {
                let (column, type) = try row.decode(String.self, String.self)
                columns[column] = type
            }
            for measure in Measure.allCases {
                let type = measure.isAmount ? "numeric" : "bigint"
                let tables = [
                    "token_interval", "token_interval_exchange", "token_day", "token_day_exchange", "token_month", "token_month_exchange",
                    "exchange_month_change",
                ]
                for table in tables {
                    #expect(columns["\(table).\(measure.name)"] == type, "\(table).\(measure.name)")
                }
                #expect(columns["revision.old_\(measure.name)"] == type && columns["revision.new_\(measure.name)"] == type)
                for view in ["hourly", "hourly_by_exchange", "daily", "daily_by_exchange", "monthly", "monthly_by_exchange", "exchange_monthly"] {
                    #expect(columns["\(view).\(measure.viewColumn)"] != nil, "\(view).\(measure.viewColumn)")
                }
                #expect(columns["revisions.old_\(measure.viewColumn)"] != nil && columns["revisions.new_\(measure.viewColumn)"] != nil)
            }
        }
    }

    @Test func everyViewAndColumnIsCommented() async throws {
        let database = try await TestDatabase.create()
        try await database.withConnection { connection async throws in
            _ = try await MigrationRunner(connection: connection, migrations: try Migration.embedded(), logger: logger)
                .migrate()
            let views = try await connection.query(
                """
                SELECT c.relname, obj_description(c.oid, 'pg_class') IS NOT NULL
                FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = 'liquidations' AND c.relkind = 'v' ORDER BY c.relname
                """
            ).rows.map { try $0.decode(String.self, Bool.self) }
            #expect(views.map(\.0) == [
                "daily", "daily_by_exchange", "exchange_monthly", "hourly", "hourly_by_exchange", "monthly", "monthly_by_exchange",
                "revisions", "sync_status",
            ])
            #expect(views.allSatisfy { $0.1 })
            let uncommented = try await connection.query(
                """
                SELECT c.relname || '.' || a.attname
                FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
                JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = 'liquidations' AND c.relkind = 'v' AND a.attnum > 0 AND NOT a.attisdropped
                  AND col_description(c.oid, a.attnum) IS NULL
                """
            ).rows.map { try $0.decode(String.self, at: 0) }
            #expect(uncommented.isEmpty)
            let hourlyColumns = try await connection.query(
                """
                SELECT string_agg(attname, ',' ORDER BY attnum) FROM pg_attribute
                WHERE attrelid = 'liquidations.hourly'::regclass AND attnum > 0
                """
            ).scalar(String.self)
            #expect(
                hourlyColumns == "asset,interval_start,interval_end,total_trades,total_amount_usd,long_trades,"
                    + "long_amount_usd,short_trades,short_amount_usd,updated_at,is_final")
        }
    }

    @Test func editedAppliedMigrationIsRefusedAndNothingRuns() async throws {
        let database = try await TestDatabase.create()
        let original = try Migration.embedded()
        try await database.withConnection { connection async throws in
            _ = try await MigrationRunner(connection: connection, migrations: original, logger: logger).migrate()
            var edited = original
            edited[0] = try Migration(fileName: original[0].fileName, sql: original[0].sql + "\n-- a harmless edit\n")
            let next = try Migration(fileName: "9999_next.sql", sql: "CREATE TABLE liquidations.should_not_exist (x int);")
            let runner = MigrationRunner(connection: connection, migrations: edited + [next], logger: logger)
            let error = try await #require(throws: StoreError.self) { try await runner.migrate() }
            guard case .migrationEdited(let fileName, _, _) = error else {
                Issue.record("expected migrationEdited, got \(error)")
                return
            }
            #expect(fileName == original[0].fileName)
            #expect(error.description.contains("edited after it was applied"))
            #expect(try await connection.query("SELECT to_regclass('liquidations.should_not_exist')::text")
                .scalar(String?.self) == nil)
        }
    }

    @Test func failingMigrationLeavesNoTrace() async throws {
        let database = try await TestDatabase.create()
        let migrations = try Migration.embedded()
        try await database.withConnection { connection async throws in
            _ = try await MigrationRunner(connection: connection, migrations: migrations, logger: logger).migrate()
            let broken = try Migration(
                fileName: "9998_broken.sql",
                sql: "CREATE TABLE liquidations.half_done (x int);\nSELECT * FROM no_such_table;")
            let runner = MigrationRunner(connection: connection, migrations: migrations + [broken], logger: logger)
            let error = try await #require(throws: StoreError.self) { try await runner.migrate() }
            #expect(error.description.contains("9998_broken.sql"))
            #expect(error.description.contains("42P01"))
            #expect(try await connection.query("SELECT to_regclass('liquidations.half_done')::text")
                .scalar(String?.self) == nil)
            #expect(try await connection.query("SELECT max(version) FROM liquidations.schema_migrations")
                .scalar(Int.self) == migrations.last!.version)
        }
    }

    @Test func databaseMigratedByANewerReleaseIsRefused() async throws {
        let database = try await TestDatabase.create()
        let migrations = try Migration.embedded()
        try await database.withConnection { connection async throws in
            let future = try Migration(fileName: "9000_future.sql", sql: "SELECT 1;")
            _ = try await MigrationRunner(connection: connection, migrations: migrations + [future], logger: logger)
                .migrate()
            let error = try await #require(throws: StoreError.self) {
                try await MigrationRunner(connection: connection, migrations: migrations, logger: logger).migrate()
            }
            #expect(error.description.contains("upgrade liqsync"))
        }
    }

    @Test func concurrentMigrationsApplyEachFileOnce() async throws {
        let database = try await TestDatabase.create()
        let migrations = try Migration.embedded()
        let logger = self.logger
        let plans = try await withThrowingTaskGroup(of: MigrationRunner.Plan.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    try await database.withConnection { connection async throws in
                        try await MigrationRunner(connection: connection, migrations: migrations, logger: logger).migrate()
                    }
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        // Each migration is applied once, in order, whoever applies it: the lock is taken in each
        // migration's transaction (it must hold through a transaction pooler), so four migrators
        // may share the work.
        let applied = plans.flatMap(\.applied)
        #expect(applied.sorted() == migrations.map(\.fileName))
        try await database.withConnection { connection async throws in
            let order = try await connection.query(
                "SELECT string_agg(file_name, ',' ORDER BY applied_at, version) FROM liquidations.schema_migrations"
            ).scalar(String.self)
            #expect(order == migrations.map(\.fileName).joined(separator: ","), "applied in version order")
        }
        try await database.withConnection { connection async throws in
            #expect(try await connection.query("SELECT count(*) FROM liquidations.schema_migrations").scalar(Int.self)
                == migrations.count)
        }
    }

    @Test func readerRoleCanSelectTheViewsAndCannotWriteOrReadTables() async throws {
        let database = try await TestDatabase.create()
        let analyst = "analyst_\(UUID().uuidString.prefix(6).lowercased())"
        try await database.withConnection { connection async throws in
            _ = try await MigrationRunner(connection: connection, migrations: try Migration.embedded(), logger: logger)
                .migrate()
            try await connection.execute(script: "CREATE ROLE \(analyst) LOGIN; GRANT liquidations_reader TO \(analyst);")
            #expect(try await connection.query(
                "SELECT rolcanlogin FROM pg_roles WHERE rolname = 'liquidations_reader'").scalar(Bool.self) == false)
        }
        let reader = try await PostgresConnection.connect(
            PostgresConfiguration(connectionString: "dbname=\(database.name) user=\(analyst)"))
        for view in [
            "hourly", "hourly_by_exchange", "daily", "daily_by_exchange", "monthly", "monthly_by_exchange", "exchange_monthly",
            "sync_status", "revisions",
        ] {
            #expect(try await reader.query(PostgresQuery(unsafeSQL: "SELECT count(*) FROM liquidations.\(view)"))
                .scalar(Int64.self) == 0)
        }
        // The function over the running totals runs with its owner's rights; their table does not.
        #expect(try await reader.query("SELECT count(*) FROM liquidations.exchange_totals('2025-01-01', '2026-01-01')")
            .scalar(Int64.self) == 0)
        let writes = [
            "INSERT INTO liquidations.asset (asset, sync_from, watermark) VALUES ('btc', '2025-01-08', '2025-01-08')",
            "DELETE FROM liquidations.token_interval",
            "UPDATE liquidations.exchange SET name = 'x'",
            "SELECT * FROM liquidations.token_interval",
            "SELECT * FROM liquidations.schema_migrations",
            "SELECT * FROM liquidations.revision",
            "SELECT * FROM liquidations.exchange_month_change",
            "SELECT * FROM liquidations.token_day_exchange_running",
            "SELECT liquidations.compact_exchange_month_changes()",
            "CREATE TABLE liquidations.mine (x int)",
        ]
        for sql in writes {
            let error = try await #require(throws: PostgresError.self) {
                try await reader.query(PostgresQuery(unsafeSQL: sql))
            }
            #expect(error.sqlState == PostgresError.SQLState.insufficientPrivilege, "\(sql): \(error)")
        }
        await reader.close()
    }

    @Test func version4UpgradesADatabaseWithDataAndRefusesFutureWatermarks() async throws {
        let database = try await TestDatabase.create()
        let migrations = try Migration.embedded()
        let upToThree = migrations.filter { $0.version <= 3 }
        #expect(upToThree.count == 3)
        try await database.withConnection { connection async throws in
            _ = try await MigrationRunner(connection: connection, migrations: upToThree, logger: logger).migrate()
            try await connection.execute(script: """
                INSERT INTO liquidations.asset (asset, sync_from, watermark)
                VALUES ('btc', '2025-01-08', '2025-03-01'), ('eth', '2025-01-08', '2025-01-08');
                """)
            let plan = try await MigrationRunner(connection: connection, migrations: migrations, logger: logger).migrate()
            #expect(plan.applied == migrations.filter { $0.version >= 4 }.map(\.fileName))
            #expect(plan.applied.first == "0004_watermark_not_in_future.sql")
            // Existing rows are untouched; moving a watermark forward to the present still works.
            #expect(try await connection.query("SELECT watermark::text FROM liquidations.asset WHERE asset = 'btc'")
                .scalar(String.self) == "2025-03-01 00:00:00+00")
            try await connection.query(
                "UPDATE liquidations.asset SET watermark = date_trunc('hour', now()) WHERE asset = 'eth'")
            for sql in [
                "UPDATE liquidations.asset SET watermark = now() + interval '1 hour' WHERE asset = 'btc'",
                "INSERT INTO liquidations.asset (asset, sync_from, watermark) VALUES ('sol', now() + interval '1 day', now() + interval '1 day')",
            ] {
                let error = try await #require(throws: PostgresError.self) { try await connection.query(PostgresQuery(unsafeSQL: sql)) }
                #expect(error.sqlState == PostgresError.SQLState.checkViolation, "\(sql): \(error)")
            }
        }
    }

    @Test func version5UpgradesALoadedDatabaseWithFinalHoursAndAnEmptyRevisionLog() async throws {
        let database = try await TestDatabase.create()
        let migrations = try Migration.embedded()
        try await database.withConnection { connection async throws in
            _ = try await MigrationRunner(connection: connection, migrations: migrations.filter { $0.version <= 4 }, logger: logger)
                .migrate()
            try await connection.execute(script: """
                INSERT INTO liquidations.asset (asset, sync_from, watermark) VALUES ('btc', '2025-03-01', '2025-03-03');
                INSERT INTO liquidations.token_interval
                    (asset, interval_start, total_trades, total_amount, long_trades, long_amount, short_trades, short_amount)
                SELECT 'btc', h, 1, 2.5, 1, 2.5, 0, 0
                FROM generate_series('2025-03-01'::timestamptz, '2025-03-02 23:00', interval '1 hour') AS h;
                """)
            let plan = try await MigrationRunner(connection: connection, migrations: migrations, logger: logger).migrate()
            #expect(plan.applied == migrations.filter { $0.version >= 5 }.map(\.fileName))
            #expect(plan.applied.first == "0005_final_hours_and_revisions.sql")
            let (final, provisional, finalDays, lookback, revisions) = try await connection.query(
                """
                SELECT (SELECT count(*) FROM liquidations.hourly WHERE is_final),
                       (SELECT count(*) FROM liquidations.hourly WHERE NOT is_final),
                       (SELECT string_agg(day::text || '=' || is_final, ',' ORDER BY day) FROM liquidations.daily),
                       (SELECT lookback_hours FROM liquidations.asset),
                       (SELECT count(*) FROM liquidations.revisions)
                """
            ).rows[0].decode(Int64.self, Int64.self, String.self, Int.self, Int64.self)
            #expect(final == 24 && provisional == 24, "the last 24 hours below the watermark are provisional")
            #expect(finalDays == "2025-03-01=true,2025-03-02=false")
            #expect(lookback == 24 && revisions == 0)
        }
    }

    @Test func version6UpgradesALoadedDatabaseWithAnUnloggedSharedBudget() async throws {
        let database = try await TestDatabase.create()
        let migrations = try Migration.embedded()
        try await database.withConnection { connection async throws in
            _ = try await MigrationRunner(connection: connection, migrations: migrations.filter { $0.version <= 5 }, logger: logger)
                .migrate()
            try await connection.execute(script: """
                INSERT INTO liquidations.asset (asset, sync_from, watermark) VALUES ('btc', '2025-03-01', '2025-03-03');
                """)
            let plan = try await MigrationRunner(connection: connection, migrations: migrations, logger: logger).migrate()
            #expect(plan.applied.first == "0006_shared_request_budget.sql")
            let (persistence, rows, watermark) = try await connection.query(
                """
                SELECT (SELECT relpersistence::text FROM pg_class WHERE oid = 'liquidations.request_budget'::regclass),
                       (SELECT count(*) FROM liquidations.request_budget),
                       (SELECT watermark::text FROM liquidations.asset)
                """
            ).rows[0].decode(String.self, Int64.self, String.self)
            #expect(persistence == "u", "unlogged")
            #expect(rows == 0, "the bucket row is created by the first request")
            #expect(watermark == "2025-03-03 00:00:00+00")
            let grant = try await SharedBudgetStore.take(ratePerSecond: 5, burst: 5, on: connection)
            #expect(grant.wait == .zero, "a new bucket is full")
        }
    }

    /// Every row `loadTwoAssets` wrote is still there, and `table`'s comment says who now guards
    /// what its dropped foreign key did.
    func expectTwoAssetsKept(commentOn table: String, on connection: PostgresConnection) async throws {
        let (hours, exchanges, comment) = try await connection.query(
            """
            SELECT (SELECT count(*) FROM liquidations.token_interval),
                   (SELECT count(*) FROM liquidations.token_interval_exchange),
                   obj_description(\(table)::regclass, 'pg_class')
            """
        ).rows[0].decode(Int64.self, Int64.self, String.self)
        #expect(hours == 96 && exchanges == 192)
        #expect(comment.contains("liqsync verify"))
    }

    /// A database at schema `version` with two assets, btc and eth, of 48 hours each and two
    /// exchange rows an hour: what the upgrades to versions 7 and 8 must keep.
    func loadTwoAssets(at version: Int, migrations: [Migration], on connection: PostgresConnection) async throws {
        _ = try await MigrationRunner(connection: connection, migrations: migrations.filter { $0.version <= version }, logger: logger)
            .migrate()
        try await connection.execute(script: """
            INSERT INTO liquidations.asset (asset, sync_from, watermark) VALUES ('btc', '2025-03-01', '2025-03-03'),
                ('eth', '2025-03-01', '2025-03-03');
            INSERT INTO liquidations.token_interval
                (asset, interval_start, total_trades, total_amount, long_trades, long_amount, short_trades, short_amount)
            SELECT a, h, 2, 5, 1, 2.5, 1, 2.5
            FROM generate_series('2025-03-01'::timestamptz, '2025-03-02 23:00', interval '1 hour') AS h,
                 unnest(ARRAY['btc', 'eth']) AS a;
            INSERT INTO liquidations.token_interval_exchange
                (asset, interval_start, exchange, total_trades, total_amount, long_trades, long_amount, short_trades, short_amount)
            SELECT asset, interval_start, x, 1, 2.5, 1, 2.5, 0, 0
            FROM liquidations.token_interval, unnest(ARRAY['bbit', 'binc']) AS x;
            """)
    }

    @Test func version7DropsTheExchangeRowsForeignKeysAndKeepsTheData() async throws {
        let database = try await TestDatabase.create()
        let migrations = try Migration.embedded()
        let foreignKeys: PostgresQuery = """
            SELECT string_agg(conrelid::regclass::text || '->' || confrelid::regclass::text, ',' ORDER BY conname)
            FROM pg_constraint WHERE contype = 'f' AND conrelid IN
                ('liquidations.token_interval'::regclass, 'liquidations.token_interval_exchange'::regclass)
            """
        try await database.withConnection { connection async throws in
            try await loadTwoAssets(at: 6, migrations: migrations, on: connection)
            let before = try await connection.query(foreignKeys).scalar(String.self)
            #expect(before.components(separatedBy: ",").count == 3, "\(before)")

            let plan = try await MigrationRunner(connection: connection, migrations: migrations.filter { $0.version <= 7 }, logger: logger)
                .migrate()
            #expect(plan.applied.first == "0007_exchange_rows_without_foreign_keys.sql")
            let after = try await connection.query(foreignKeys).scalar(String.self)
            #expect(after == "liquidations.token_interval->liquidations.asset", "only the hours' key to the asset stays")
            try await expectTwoAssetsKept(commentOn: "liquidations.token_interval_exchange", on: connection)
        }
        // Purging an asset still removes its exchange rows (the cascade did before), and only its.
        try await database.withConnection { connection async throws in
            // Today's binary purges a database at today's schema.
            _ = try await MigrationRunner(connection: connection, migrations: migrations, logger: logger).migrate()
            let deleted = try await AssetStore(connection: connection).remove(try AssetCode(validating: "btc"), purge: true)
            #expect(deleted == 48)
            let left = try await connection.query(
                "SELECT string_agg(DISTINCT asset, ',') || ' ' || count(*) FROM liquidations.token_interval_exchange"
            ).scalar(String.self)
            #expect(left == "eth 96")
        }
    }

    @Test func version8DropsTheHourlyRowsForeignKeyAndKeepsTheData() async throws {
        let database = try await TestDatabase.create()
        let migrations = try Migration.embedded()
        let foreignKeys: PostgresQuery = """
            SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND conrelid IN
                ('liquidations.token_interval'::regclass, 'liquidations.token_interval_exchange'::regclass)
            """
        try await database.withConnection { connection async throws in
            try await loadTwoAssets(at: 7, migrations: migrations, on: connection)
            #expect(try await connection.query(foreignKeys).scalar(Int64.self) == 1)

            let plan = try await MigrationRunner(connection: connection, migrations: migrations.filter { $0.version <= 8 }, logger: logger)
                .migrate()
            #expect(plan.applied == ["0008_hourly_rows_without_asset_foreign_key.sql"])
            #expect(try await connection.query(foreignKeys).scalar(Int64.self) == 0)
            try await expectTwoAssetsKept(commentOn: "liquidations.token_interval", on: connection)
        }
        // Purging an asset still removes its hourly rows (the cascade did before), and only its.
        try await database.withConnection { connection async throws in
            // Today's binary purges a database at today's schema.
            _ = try await MigrationRunner(connection: connection, migrations: migrations, logger: logger).migrate()
            let deleted = try await AssetStore(connection: connection).remove(try AssetCode(validating: "btc"), purge: true)
            #expect(deleted == 48)
            let left = try await connection.query(
                """
                SELECT (SELECT string_agg(DISTINCT asset, ',') || ' ' || count(*) FROM liquidations.token_interval) || ' / '
                    || (SELECT string_agg(DISTINCT asset, ',') || ' ' || count(*) FROM liquidations.token_interval_exchange)
                """
            ).scalar(String.self)
            #expect(left == "eth 48 / eth 96")
        }
    }

    /// From a loaded version-8 database: the data and the views' rows are kept, nothing is open,
    /// and an hour entered as open is not final (nor its day) until it is closed.
    @Test func version9KeepsTheDataAndOpenHoursAreNotFinal() async throws {
        let database = try await TestDatabase.create()
        let migrations = try Migration.embedded()
        let finalHours: PostgresQuery = """
            SELECT (SELECT count(*) FILTER (WHERE is_final) FROM liquidations.hourly) || ' / '
                || (SELECT count(*) FILTER (WHERE is_final) FROM liquidations.daily) || ' / '
                || (SELECT count(*) FILTER (WHERE is_final) FROM liquidations.hourly_by_exchange) || ' / '
                || (SELECT count(*) FILTER (WHERE is_final) FROM liquidations.daily_by_exchange)
            """
        try await database.withConnection { connection async throws in
            try await loadTwoAssets(at: 8, migrations: migrations, on: connection)
            let before = try await connection.query(finalHours).scalar(String.self)
            #expect(before == "48 / 2 / 96 / 4", "the first day of each asset is final (lookback 24 h)")

            let plan = try await MigrationRunner(connection: connection, migrations: migrations.filter { $0.version <= 9 }, logger: logger)
                .migrate()
            #expect(plan.applied == ["0009_emptied_hours_stay_open.sql"])
            #expect(try await connection.query(finalHours).scalar(String.self) == before)
            try await expectTwoAssetsKept(commentOn: "liquidations.token_interval", on: connection)
            let comment = try await connection.query("SELECT obj_description('liquidations.emptied_hour'::regclass, 'pg_class')")
                .scalar(String?.self)
            #expect(comment?.contains("confirms") == true)
            let open = try await connection.query("SELECT sum(open_hours) FROM liquidations.sync_status").scalar(Int64.self)
            #expect(open == 0)

            try await connection.query(
                "INSERT INTO liquidations.emptied_hour VALUES ('btc', '2025-03-01 05:00+00', now())")
            #expect(try await connection.query(finalHours).scalar(String.self) == "47 / 1 / 94 / 2")
            let status = try await connection.query(
                "SELECT string_agg(asset || ' ' || open_hours, ', ' ORDER BY asset) FROM liquidations.sync_status"
            ).scalar(String.self)
            #expect(status == "btc 1, eth 0")
        }
        // Purging the asset takes its open hours with it.
        try await database.withConnection { connection async throws in
            // Today's binary purges a database at today's schema.
            _ = try await MigrationRunner(connection: connection, migrations: migrations, logger: logger).migrate()
            _ = try await AssetStore(connection: connection).remove(try AssetCode(validating: "btc"), purge: true)
            #expect(try await connection.query("SELECT count(*) FROM liquidations.emptied_hour").scalar(Int64.self) == 0)
        }
    }

    /// From a version-10 database holding a claim: the claim is kept, and a claim that names no
    /// session (taken behind a transaction pooler) holds until it expires.
    @Test func version11KeepsClaimsAndLetsAClaimNameNoSession() async throws {
        let database = try await TestDatabase.create()
        let migrations = try Migration.embedded()
        try await database.withConnection { connection async throws in
            _ = try await MigrationRunner(connection: connection, migrations: migrations.filter { $0.version <= 10 }, logger: logger)
                .migrate()
            try await connection.query(
                """
                INSERT INTO liquidations.asset_claim (asset, holder, expires_at, session_pid, session_start)
                VALUES ('btc', 'before', now() + interval '1 hour', pg_backend_pid(), now())
                """)
            await #expect(throws: PostgresError.self) {
                try await connection.query(
                    "INSERT INTO liquidations.asset_claim (asset, holder, expires_at) VALUES ('eth', 'x', now())")
            }

            let plan = try await MigrationRunner(connection: connection, migrations: migrations.filter { $0.version <= 11 }, logger: logger)
                .migrate()
            #expect(plan.applied == ["0011_claims_behind_transaction_poolers.sql"])
            #expect(try await connection.query("SELECT holder FROM liquidations.asset_claim").scalar(String.self) == "before")
            let comment = try await connection.query(
                "SELECT col_description('liquidations.asset_claim'::regclass, 5)").scalar(String?.self)
            #expect(comment?.contains("transaction pooler") == true)
        }
        // A claim with no session, behind a transaction pooler, is not taken over before it
        // expires, though no session of its holder exists; once expired, it is.
        let pooled = PostgresConfiguration(connectionString: database.connectionString, pooling: .transaction)
        let holderConnection = try await PostgresConnection.connect(pooled)
        let holder = AssetClaimStore(holder: "pooled-holder", lease: .seconds(60))
        let eth = try AssetCode(validating: "eth")
        #expect(try await holder.tryClaim(eth, on: holderConnection))
        #expect(try await holderConnection.query(
            "SELECT session_pid IS NULL AND session_start IS NULL FROM liquidations.asset_claim WHERE asset = 'eth'"
        ).scalar(Bool.self))
        await holderConnection.close()
        try await database.withConnection { connection async throws in
            let other = AssetClaimStore(holder: "other", lease: .seconds(60))
            #expect(try await other.tryClaim(eth, on: connection) == false)
            try await connection.query(
                "UPDATE liquidations.asset_claim SET expires_at = now() - interval '1 second' WHERE asset = 'eth'")
            #expect(try await other.tryClaim(eth, on: connection))
        }
    }

    /// From a loaded version-11 database: the daily views show the same rows read from the new
    /// rollups, the day indexes are gone, `verify` finds the rollups exact (and a tampered hour
    /// not), and purging an asset takes its rollups along.
    @Test func version12BuildsExactDailyRollupsAndDropsTheDayIndexes() async throws {
        let database = try await TestDatabase.create()
        let migrations = try Migration.embedded()
        let dailyRows: PostgresQuery = """
            SELECT string_agg(concat_ws(' ', asset, day, hours_covered, total_trades, total_amount_usd, long_trades, long_amount_usd,
                                        short_trades, short_amount_usd, updated_at, is_final), '; ' ORDER BY asset, day)
            FROM liquidations.daily
            """
        let exchangeRows: PostgresQuery = """
            SELECT string_agg(concat_ws(' ', asset, day, exchange, exchange_name, hours_covered, total_trades, total_amount_usd,
                                        long_trades, long_amount_usd, short_trades, short_amount_usd, updated_at, is_final),
                              '; ' ORDER BY asset, day, exchange)
            FROM liquidations.daily_by_exchange
            """
        try await database.withConnection { connection async throws in
            try await loadTwoAssets(at: 11, migrations: migrations, on: connection)
            // Days that differ: one hour of eth revised, binc gone from btc's second day, and an
            // open hour that keeps btc's first day provisional.
            try await connection.execute(script: """
                INSERT INTO liquidations.emptied_hour VALUES ('btc', '2025-03-01 05:00+00', now());
                UPDATE liquidations.token_interval SET total_amount = 7.125, long_amount = 4.625
                WHERE asset = 'eth' AND interval_start = '2025-03-02 05:00+00';
                DELETE FROM liquidations.token_interval_exchange
                WHERE asset = 'btc' AND exchange = 'binc' AND interval_start >= '2025-03-02';
                """)
            let before = (try await connection.query(dailyRows).scalar(String.self), try await connection.query(exchangeRows).scalar(String.self))

            let plan = try await MigrationRunner(connection: connection, migrations: migrations.filter { $0.version <= 12 }, logger: logger)
                .migrate()
            #expect(plan.applied == ["0012_daily_rollups.sql"])
            let after = (try await connection.query(dailyRows).scalar(String.self), try await connection.query(exchangeRows).scalar(String.self))
            #expect(after.0 == before.0)
            #expect(after.1 == before.1)
            let firstDays = try await connection.query(
                "SELECT string_agg(asset || ' ' || is_final, ', ' ORDER BY asset) FROM liquidations.daily WHERE day = '2025-03-01'"
            ).scalar(String.self)
            #expect(firstDays == "btc false, eth true", "btc's open hour keeps its day provisional")
            let counts = try await connection.query(
                """
                SELECT (SELECT count(*) FROM liquidations.token_day) || ' / ' || (SELECT count(*) FROM liquidations.token_day_exchange)
                    || ' / ' || (SELECT count(*) FROM pg_indexes WHERE schemaname = 'liquidations' AND indexname LIKE '%asset_day')
                    || ' / ' || (SELECT largest_hour_usd FROM liquidations.daily WHERE asset = 'eth' AND day = '2025-03-02')
                """
            ).scalar(String.self)
            #expect(counts == "4 / 7 / 0 / 7.125", "4 asset-days, 7 asset-day-exchanges, no day index, eth's largest hour")
            let comment = try await connection.query("SELECT obj_description('liquidations.token_day'::regclass, 'pg_class')")
                .scalar(String?.self)
            #expect(comment?.contains("rewritten from the hours") == true)

            // Checked by today's verify, which reads the monthly rollups of the versions after.
            _ = try await MigrationRunner(connection: connection, migrations: migrations, logger: logger).migrate()
            var report = try await DataQuality(connection: connection).run(assets: nil, from: nil, to: nil)
            #expect(report.counts[.rollupMismatch] == 0, "\(report.problems)")
            try await connection.query(
                "UPDATE liquidations.token_interval SET total_trades = 3 WHERE asset = 'btc' AND interval_start = '2025-03-01 00:00+00'")
            report = try await DataQuality(connection: connection).run(assets: nil, from: nil, to: nil)
            #expect(report.counts[.rollupMismatch] == 1)
            let found = report.problems.first { $0.kind == .rollupMismatch }
            #expect(found?.asset == "btc" && found?.detail.contains("differs from the sums of its hours") == true, "\(report.problems)")
            // Scoped to eth, or to btc's second day, nothing is found.
            report = try await DataQuality(connection: connection).run(
                assets: [try AssetCode(validating: "eth")], from: nil, to: nil)
            #expect(report.counts[.rollupMismatch] == 0)
            report = try await DataQuality(connection: connection).run(
                assets: nil, from: UTCHour(containing: 1_740_873_600 + 5 * 3600), to: nil)
            #expect(report.counts[.rollupMismatch] == 0, "2025-03-02 05:00 onwards: whole days from 2025-03-02")
        }
        try await database.withConnection { connection async throws in
            _ = try await AssetStore(connection: connection).remove(try AssetCode(validating: "btc"), purge: true)
            let left = try await connection.query(
                """
                SELECT (SELECT string_agg(DISTINCT asset, ',') FROM liquidations.token_day) || ' / '
                    || (SELECT string_agg(DISTINCT asset, ',') FROM liquidations.token_day_exchange)
                """
            ).scalar(String.self)
            #expect(left == "eth / eth")
        }
    }

    static let exchangeMonthsFile = "0015_exchanges_by_month_across_assets.sql"
    static let exchangeTotalsFile = "0017_exchange_totals_over_any_days.sql"

    /// From a loaded version-12 database: each asset-month (and exchange) sums its days exactly,
    /// the daily views show the same rows with trade counts as bigint, the largest-hours index is
    /// built and valid, the index of the days by their largest hour is gone, every exchange's
    /// months across assets start as the sums of the assets' months, each asset's running totals
    /// per exchange sum any range of its days, and the reader role reads the monthly views.

    @Test func version13To17AddMonthsEqualToTheirDaysTheLargestHoursIndexAndExchangesAcrossAssets() async throws {
        let database = try await TestDatabase.create()
        let migrations = try Migration.embedded()
        let dailyRows: PostgresQuery = """
            SELECT string_agg(concat_ws(' ', asset, day, hours_covered, total_trades, total_amount_usd, long_trades, long_amount_usd,
                                        short_trades, short_amount_usd, is_final, largest_hour_usd), '; ' ORDER BY asset, day)
            FROM liquidations.daily
            """
        try await database.withConnection { connection async throws in
            try await loadTwoAssets(at: 12, migrations: migrations, on: connection)
            // The rollups as migration 0012 builds them: refill them for the rows loaded after it.
            try await connection.execute(script: """
                DELETE FROM liquidations.token_day; DELETE FROM liquidations.token_day_exchange;
                INSERT INTO liquidations.token_day SELECT asset, (interval_start AT TIME ZONE 'UTC')::date, count(*),
                    sum(total_trades), sum(total_amount), sum(long_trades), sum(long_amount), sum(short_trades), sum(short_amount),
                    max(total_amount), 0, max(updated_at)
                FROM liquidations.token_interval GROUP BY 1, 2;
                INSERT INTO liquidations.token_day_exchange SELECT asset, (interval_start AT TIME ZONE 'UTC')::date, exchange, count(*),
                    sum(total_trades), sum(total_amount), sum(long_trades), sum(long_amount), sum(short_trades), sum(short_amount),
                    max(updated_at)
                FROM liquidations.token_interval_exchange GROUP BY 1, 2, 3;
                """)
            let before = try await connection.query(dailyRows).scalar(String.self)
            let plan = try await MigrationRunner(connection: connection, migrations: migrations, logger: logger).migrate()
            #expect(plan.applied == ["0013_months_and_years_of_data.sql", "0014_largest_hours_index.sql", Self.exchangeMonthsFile,
                                    "0016_exchange_month_changes_per_statement.sql", Self.exchangeTotalsFile])
            #expect(try await connection.query(dailyRows).scalar(String.self) == before, "the daily rows, unchanged")
            let types = try await connection.query(
                """
                SELECT string_agg(table_name || '.' || column_name || ' ' || data_type, ', ' ORDER BY table_name, column_name)
                FROM information_schema.columns
                WHERE table_schema = 'liquidations' AND table_name IN ('daily', 'daily_by_exchange', 'monthly', 'monthly_by_exchange')
                  AND column_name LIKE '%trades'
                """
            ).scalar(String.self)
            #expect(!types.contains("numeric") && types.contains("daily.total_trades bigint"), "\(types)")
            let months = try await connection.query(
                """
                SELECT string_agg(concat_ws(' ', asset, month, hours_covered, total_trades, total_amount_usd, largest_hour_usd), '; '
                                  ORDER BY asset, month)
                FROM liquidations.monthly
                """
            ).scalar(String.self)
            #expect(months == "btc 2025-03-01 48 96 240 5; eth 2025-03-01 48 96 240 5", "\(months)")
            let exchangeMonths = try await connection.query(
                "SELECT string_agg(concat_ws(' ', asset, exchange, hours_covered, total_amount_usd), '; ' ORDER BY asset, exchange) FROM liquidations.monthly_by_exchange"
            ).scalar(String.self)
            #expect(exchangeMonths == "btc bbit 48 120.0; btc binc 48 120.0; eth bbit 48 120.0; eth binc 48 120.0", "\(exchangeMonths)")
            // 0015: every asset together, started from the months 0013 built.
            let acrossAssets = try await connection.query(
                "SELECT string_agg(concat_ws(' ', month, exchange, assets, total_trades, total_amount_usd), '; ' ORDER BY exchange) FROM liquidations.exchange_monthly"
            ).scalar(String.self)
            #expect(acrossAssets == "2025-03-01 bbit 2 96 240; 2025-03-01 binc 2 96 240", "\(acrossAssets)")
            // 0017: running totals from the daily rows, so any range of days sums the same.
            let overDays = try await connection.query(
                "SELECT string_agg(concat_ws(' ', asset, exchange, hours_covered, total_amount_usd), '; ' ORDER BY asset, exchange) FROM liquidations.exchange_totals('2025-03-01', '2025-03-31')"
            ).scalar(String.self)
            #expect(overDays == "btc bbit 48 120; btc binc 48 120; eth bbit 48 120; eth binc 48 120", "\(overDays)")
            let indexes = try await connection.query(
                """
                SELECT string_agg(c.relname || ' ' || i.indisvalid, ', ' ORDER BY c.relname)
                FROM pg_index AS i JOIN pg_class AS c ON c.oid = i.indexrelid
                WHERE c.relname IN ('token_interval_largest', 'token_day_largest_hour')
                """
            ).scalar(String.self)
            #expect(indexes == "token_interval_largest true")
            // Every check of verify, months included, finds the upgraded data exact.
            let report = try await DataQuality(connection: connection).verify(full: true)
            #expect(report.isClean, "\(report.problems)")
        }
    }

    /// A reader holding a long transaction on the views while `migrate` needs a lock it holds:
    /// readers arriving meanwhile wait no longer than the migration's lock timeout (it steps back
    /// and lets them through), the migration tries again, and it is applied once the long
    /// reader is done.
    @Test(.timeLimit(.minutes(2)))
    func aMigrationNeverMakesReadersWaitLongerThanItsLockTimeout() async throws {
        let database = try await TestDatabase.create()
        let migrations = try Migration.embedded()
        let logger = self.logger
        try await database.withConnection { connection async throws in
            try await loadTwoAssets(at: 12, migrations: migrations, on: connection)
        }
        let longReader = try await database.connect()
        try await longReader.execute(script: "BEGIN; SELECT count(*) FROM liquidations.daily;")
        let migrating = Task {
            try await database.withConnection { connection async throws in
                try await MigrationRunner(
                    connection: connection, migrations: migrations, logger: logger, lockTimeout: .milliseconds(500),
                    retryFor: .seconds(60)
                ).migrate()
            }
        }
        // Other readers come and go meanwhile; none waits much longer than the half second.
        let reader = try await database.connect()
        var slowest = Duration.zero
        let readingUntil = ContinuousClock.now + .seconds(5)
        while ContinuousClock.now < readingUntil {
            let started = ContinuousClock.now
            _ = try await reader.query("SELECT count(*) FROM liquidations.daily").scalar(Int64.self)
            slowest = max(slowest, started.duration(to: .now))
            try await Task.sleep(for: .milliseconds(50))
        }
        let applied = try await database.withConnection { connection async throws in
            try await connection.query("SELECT count(*) FROM liquidations.schema_migrations WHERE version >= 13").scalar(Int64.self)
        }
        #expect(applied == 0, "the migration waits while the long reader holds the daily view")
        try await longReader.execute(script: "COMMIT")
        let plan = try await migrating.value
        #expect(plan.applied == ["0013_months_and_years_of_data.sql", "0014_largest_hours_index.sql", Self.exchangeMonthsFile,
                                    "0016_exchange_month_changes_per_statement.sql", Self.exchangeTotalsFile])
        // A loaded machine may add a few seconds to the half (2.8 s seen on a cold CI-like run): still
        // below the 5 s the long reader holds its lock, which a reader without the timeout waits out.
        #expect(slowest < .milliseconds(4000), "a reader waited \(slowest)")
        await reader.close()
        await longReader.close()
    }

    /// A database that applied migration 0015's first text (a trigger per row) is not refused as
    /// edited, and 0016 gives it the statement-level triggers of the text that landed after:
    /// the per-row trigger and its function gone, and every change still summed exactly.
    @Test func theFirstTextOfMigration15IsAcceptedAnd16GivesItTheStatementLevelTriggers() async throws {
        let database = try await TestDatabase.create()
        let migrations = try Migration.embedded()
        let triggers: PostgresQuery = """
            SELECT string_agg(tgname || ' ' || CASE WHEN tgtype & 1 = 1 THEN 'row' ELSE 'statement' END, ', ' ORDER BY tgname)
            FROM pg_trigger WHERE tgrelid = 'liquidations.token_month_exchange'::regclass AND NOT tgisinternal
            """
        try await database.withConnection { connection async throws in
            try await loadTwoAssets(at: 15, migrations: migrations, on: connection)
            // What the first text of 0015 left: a trigger per row, its function, its checksum.
            let firstText = try #require(MigrationRunner.earlierLandedChecksums[15]?.first)
            try await connection.execute(script: """
                DROP TRIGGER exchange_month_inserted ON liquidations.token_month_exchange;
                DROP TRIGGER exchange_month_updated ON liquidations.token_month_exchange;
                DROP TRIGGER exchange_month_deleted ON liquidations.token_month_exchange;
                CREATE FUNCTION liquidations.record_exchange_month_change() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN RETURN NULL; END $$;
                CREATE TRIGGER exchange_month_change AFTER INSERT OR UPDATE OR DELETE ON liquidations.token_month_exchange
                    FOR EACH ROW EXECUTE FUNCTION liquidations.record_exchange_month_change();
                UPDATE liquidations.schema_migrations SET checksum = '\(firstText)' WHERE version = 15;
                """)
            #expect(try await connection.query(triggers).scalar(String.self) == "exchange_month_change row")
            let plan = try await MigrationRunner(connection: connection, migrations: migrations, logger: logger).migrate()
            #expect(plan.applied == ["0016_exchange_month_changes_per_statement.sql", Self.exchangeTotalsFile])
            #expect(try await connection.query(triggers).scalar(String.self)
                == "exchange_month_deleted statement, exchange_month_inserted statement, exchange_month_updated statement")
            #expect(try await connection.query(
                "SELECT to_regprocedure('liquidations.record_exchange_month_change()')::text").scalar(String?.self) == nil)
            try await connection.execute(script: ExchangeMonthlyTests.upsert("btc", "okex", trades: 3, amount: "7.5"))
            try await connection.execute(script: ExchangeMonthlyTests.upsert("btc", "okex", trades: 4, amount: "9.5"))
        }
        #expect(try await exchangeMonthlyMismatches(database: database).isEmpty)
    }

    /// A no-transaction migration whose index build was cut short (left invalid) is resumed:
    /// the next run drops the unfinished index and builds it, and nothing invalid is left.
    @Test func anIndexBuildCutShortIsBuiltAgainByTheNextRun() async throws {
        let database = try await TestDatabase.create()
        let migrations = try Migration.embedded()
        try await database.withConnection { connection async throws in
            try await loadTwoAssets(at: 13, migrations: migrations, on: connection)
            // What an interrupted CREATE INDEX CONCURRENTLY leaves: the index, not valid.
            try await connection.execute(script: "UPDATE liquidations.token_interval SET total_amount = 5")
            let failed = try? await connection.execute(
                script: "CREATE UNIQUE INDEX CONCURRENTLY token_interval_largest ON liquidations.token_interval (total_amount DESC)")
            #expect(failed == nil, "the unique build fails on equal amounts and leaves the index invalid")
            #expect(try await connection.query(
                "SELECT NOT indisvalid FROM pg_index WHERE indexrelid = 'liquidations.token_interval_largest'::regclass"
            ).scalar(Bool.self))
            let plan = try await MigrationRunner(connection: connection, migrations: migrations, logger: logger).migrate()
            #expect(plan.applied == ["0014_largest_hours_index.sql", Self.exchangeMonthsFile, "0016_exchange_month_changes_per_statement.sql", Self.exchangeTotalsFile])
            let index = try await connection.query(
                """
                SELECT i.indisvalid AND NOT i.indisunique AND pg_get_indexdef(i.indexrelid) LIKE '%(total_amount DESC, interval_start)'
                FROM pg_index AS i WHERE i.indexrelid = 'liquidations.token_interval_largest'::regclass
                """
            ).scalar(Bool.self)
            #expect(index, "built again as the migration has it")
        }
    }
}
