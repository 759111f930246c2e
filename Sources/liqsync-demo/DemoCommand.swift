import ArgumentParser
import CommandLineSupport
import FakeKaiko
import Foundation
import Hummingbird
import Ingest
import KaikoAPI
import LiquidationModel
import LiquidationStore
import Logging
import Postgres

/// The demo as a program of its own: the stand-in API it runs in-process is no part of the
/// production `liqsync` binary, which hands `liqsync demo` over to this program.
@main
struct LiqsyncDemo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "liqsync-demo", abstract: DemoOptions.abstract, discussion: DemoOptions.discussion)

    @OptionGroup var options: DemoOptions

    var dir: String { options.dir }
    var databaseURL: String? { options.databaseURL }
    var days: Int { options.days }

    func run() async throws {
        LogSetup.bootstrapOnce(format: .text)
        var logger = Logger(label: "liqsync")
        logger.logLevel = .warning
        let started = ContinuousClock.now
        let environment = ProcessInfo.processInfo.environment
        let configured = (databaseURL ?? environment["DATABASE_URL"]).flatMap { $0.isEmpty ? nil : $0 }

        step(1, "PostgreSQL")
        var cluster: DemoCluster?
        let connectionString: String
        if let configured {
            Console.print("  using the configured database")
            connectionString = configured
        } else {
            let directory = URL(fileURLWithPath: dir, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
                .standardizedFileURL
            Console.print("  starting a throwaway cluster in \(directory.path) (delete the folder when done)")
            cluster = try await DemoCluster.start(in: directory)
            connectionString = cluster!.connectionString
        }
        do {
            try await runDemo(connectionString: connectionString, logger: logger)
        } catch {
            await cluster?.stop()
            throw error
        }
        await cluster?.stop()
        if let cluster {
            Console.print("\nStopped PostgreSQL. Its data stays in \(cluster.directory.path); to look again:")
            Console.print("  \(cluster.binDirectory.path)/pg_ctl -D \(cluster.directory.path)/data start  (as \(cluster.serverUser ?? "you"))")
            Console.print("  psql \"\(cluster.connectionString)\"")
        }
        Console.print(String(format: "\nDemo finished in %.1f s.", started.duration(to: .now).inSeconds))
    }

    private func runDemo(connectionString: String, logger: Logger) async throws {
        let postgres = PostgresConfiguration(connectionString: connectionString, applicationName: "liqsync-demo")

        step(2, "A stand-in for Kaiko's API (deterministic synthetic data, real clock)")
        let envelope = ResponseEnvelope(rawValue: options.envelope) ?? .endpointExample
        let fake = FakeKaiko(configuration: FakeKaikoConfiguration(apiKey: "demo-key", revisionHours: 2, envelope: envelope))
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        var quiet = Logger(label: "fake-kaiko")
        quiet.logLevel = .critical
        let app = fake.makeApplication(logger: quiet) { portContinuation.yield($0) }
        let server = Task { try await app.run() }
        defer { server.cancel() }
        var portIterator = ports.makeAsyncIterator()
        guard let port = await portIterator.next() else { throw CommandFailure("the stand-in API did not start", status: .software) }
        Console.print("  serving GET /v2/data/liquidation.v1/token/{asset} on http://127.0.0.1:\(port)")

        step(3, "Schema")
        let connection = try await PostgresConnection.connect(postgres, logger: logger)
        let plan = try await MigrationRunner(connection: connection, migrations: try Migration.embedded(), logger: logger).migrate()
        Console.print(plan.applied.isEmpty ? "  already up to date" : "  applied " + plan.applied.joined(separator: ", "))

        step(4, "Backfill the last \(days) days of btc, eth and sol")
        let assets = try ["btc", "eth", "sol"].map { try AssetCode(validating: $0) }
        let now = Int64(Date().timeIntervalSince1970)
        let from = UTCHour(containing: now - Int64(days) * 86_400)
        let client = KaikoClient(
            configuration: KaikoConfiguration(
                endpoint: try KaikoEndpoint(baseURL: "http://127.0.0.1:\(port)"), apiKey: APIKey("demo-key"), pageSize: 1000),
            logger: logger)
        let pool = ConnectionPool(configuration: postgres, logger: logger)
        let backfill = BackfillPass(
            runner: BackfillRunner(
                pipeline: WindowPipeline(source: client, settings: LoadSettings(concurrency: 1), logger: logger),
                progress: BackfillProgress()),
            pool: pool)
        let settled = SyncPlanner.settledEnd(now: now, settings: LoadSettings())
        let plans = try await backfill.plan(assets, from: from, to: nil, restart: false, settledEnd: settled)
        for result in await backfill.run(plans, restart: false) {
            let outcome = result.outcome
            if let failure = outcome.failure { throw failure }
            Console.print("  \(outcome.asset): \(outcome.hours) hours, \(outcome.rows.inserted) rows inserted, \(outcome.requests) request(s)")
        }

        step(5, "One sync pass (what the service does every minute)")
        let pass = SyncPass(syncer: AssetSyncer(pipeline: WindowPipeline(source: client, logger: logger)), pool: pool)
        for outcome in await pass.run(assets) { Console.print("  " + outcome.syncSummary) }
        await pool.closeAll()
        try await client.shutdown()

        step(6, "liqsync status")
        let statuses = try await AssetStore(connection: connection).status()
        Console.print(StatusTable.render(statuses).split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))

        for (number, (title, sql)) in DemoQueries.all.enumerated() {
            step(7 + number, "Analyst query: \(title)")
            Console.print(sql.split(separator: "\n").map { "  | " + $0 }.joined(separator: "\n"))
            let rows = try await connection.query(PostgresQuery(unsafeSQL: sql)).rows
            var table = TextTable(headers: rows.first?.columns.names ?? [])
            table.rows = rows.prefix(12).map { $0.values.map { $0 ?? "NULL" } }
            Console.print(table.render().split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))
            if rows.count > 12 { Console.print("  (first 12 of \(rows.count) rows)") }
        }
        await connection.close()
    }

    private func step(_ number: Int, _ title: String) {
        Console.print("\n[\(number)] \(title)")
    }
}

/// Two of the documented analyst queries (docs/bi.md), verbatim; a test keeps them in step.
enum DemoQueries {
    static let all: [(String, String)] = [
        ("daily liquidations per asset", """
            -- example: daily-per-asset
            SELECT day, asset, total_trades, total_amount_usd, long_amount_usd, short_amount_usd
            FROM liquidations.daily
            WHERE day >= current_date - 30
            ORDER BY day, asset;
            """),
        ("top exchanges by liquidated USD, last 7 days", """
            -- example: top-exchanges-7d
            SELECT exchange_name, sum(total_amount_usd) AS liquidated_usd, sum(total_trades) AS trades
            FROM liquidations.daily_by_exchange
            WHERE day >= current_date - 7
            GROUP BY exchange_name
            ORDER BY liquidated_usd DESC
            LIMIT 10;
            """),
    ]
}
