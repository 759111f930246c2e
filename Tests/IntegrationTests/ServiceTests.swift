import AsyncHTTPClient
import Foundation
import Postgres
import Testing
import TestSupport

/// `liqsync run`, the service: systemd notifications, graceful stop, metrics, recovery.
@Suite("Service: liqsync run")
struct ServiceTests {
    func prepare(assets: [String], since: String) async throws -> TestDatabase {
        let database = try await TestDatabase.create()
        #expect(try await LiqsyncBinary.run(["migrate"], database: database).status == 0)
        #expect(try await LiqsyncBinary.run(["assets", "add"] + assets + ["--since", since], database: database).status == 0)
        return database
    }

    /// `liqsync run` polling every second against `fake`, under a supervisor listening on
    /// `listener` that expects keep-alives.
    func startService(
        _ fake: FakeKaikoProcess, _ database: TestDatabase, _ listener: NotifySocketListener, metricsPort: Int,
        watchdogMicroseconds: Int
    ) throws -> BackgroundProcess {
        try BackgroundProcess(
            LiqsyncBinary.url,
            ["run", "--poll-interval", "1", "--now", SyncEngineTests.t0, "--metrics-address", "127.0.0.1:\(metricsPort)"]
                + fake.liqsyncArguments,
            environment: fake.liqsyncEnvironment.merging([
                "DATABASE_URL": database.connectionString, "NOTIFY_SOCKET": listener.path,
                "WATCHDOG_USEC": String(watchdogMicroseconds),
            ]) { $1 })
    }

    @Test func notifiesSystemdAndStopsCleanlyOnSIGTERM() async throws {
        let fake = try await FakeKaikoProcess.start(["--now", SyncEngineTests.t0, "--speed", "0", "--latency-ms", "5"])
        defer { fake.stop() }
        let database = try await prepare(assets: ["btc", "eth"], since: "2025-03-01")
        let listener = try NotifySocketListener()
        defer { listener.stop() }
        let metricsPort = Int.random(in: 30000...60000)
        let service = try startService(fake, database, listener, metricsPort: metricsPort, watchdogMicroseconds: 400_000)
        // Bounds, not timings: while the suite's other forty-odd suites start, a process can take
        // tens of seconds to reach its first pass (a chunk's write once took eleven).
        #expect(await listener.waitFor("READY=1", timeout: .seconds(90)), "\(service.text)")
        #expect(await listener.waitFor("STATUS=2 assets synced", timeout: .seconds(90)), "\(listener.received)")
        #expect(await listener.waitFor("WATCHDOG=1"))
        // Exchange names are refreshed from the reference data as the service starts (then daily).
        let renamed = await eventually {
            let name = try? await database.withConnection { connection async throws in
                try await connection.query("SELECT name FROM liquidations.exchange WHERE exchange = 'hbdm'").scalar(String.self)
            }
            return name == "HTX Futures"
        }
        #expect(renamed, "\(service.text.suffix(1000))")

        // /metrics and /health while running.
        let metrics = try await HTTPClient.shared.execute(
            HTTPClientRequest(url: "http://127.0.0.1:\(metricsPort)/metrics"), timeout: .seconds(5))
        let text = String(buffer: try await metrics.body.collect(upTo: 1 << 20))
        #expect(text.contains("liqsync_watermark_lag_seconds"))
        #expect(text.contains("liqsync_rows_written_total"))
        #expect(text.contains("liqsync_api_requests_total{status=\"200\"}"))
        #expect(text.contains("liqsync_sync_duration_seconds"))
        let health = try await HTTPClient.shared.execute(
            HTTPClientRequest(url: "http://127.0.0.1:\(metricsPort)/health"), timeout: .seconds(5))
        #expect(health.status.code == 200)

        let stopRequested = ContinuousClock.now
        service.signal(SIGTERM)
        let status = await service.waitForExit(timeout: .seconds(10))
        #expect(status == 0, "\(service.text)")
        #expect(stopRequested.duration(to: .now) < .seconds(5))
        #expect(await listener.waitFor("STOPPING=1", timeout: .seconds(2)))
        try await expectViewsEqualTruth(database: database, fake: fake, asset: "btc")
    }

    /// SIGTERM while a chunk's write waits for a lock: the stop waits for that write, /health
    /// still answers meanwhile (the metrics server stops last), and the exit is 0. (Hummingbird's
    /// own group once stopped the metrics server on SIGTERM by itself; the service group took
    /// that for a failure and exited 70, whenever the scheduler was slower to stop.)
    @Test func aStopWaitsForTheWriteInFlightWhileHealthStillAnswers() async throws {
        let fake = try await FakeKaikoProcess.start(["--now", SyncEngineTests.t0, "--speed", "0"])
        defer { fake.stop() }
        let database = try await prepare(assets: ["btc"], since: "2025-03-25")
        let listener = try NotifySocketListener()
        defer { listener.stop() }
        let metricsPort = try freePort()
        let service = try startService(fake, database, listener, metricsPort: metricsPort, watchdogMicroseconds: 10_000_000)
        defer { service.signal(SIGKILL) }
        #expect(await listener.waitFor("STATUS=1 assets synced", timeout: .seconds(90)), "\(service.text)")

        // Writes to the hourly table wait; then eth is added, and its first chunk's write blocks.
        let holder = try await PostgresConnection.connect(database.configuration)
        try await holder.execute(script: "BEGIN; LOCK TABLE liquidations.token_interval IN EXCLUSIVE MODE;")
        #expect(try await LiqsyncBinary.run(["assets", "add", "eth", "--since", "2025-03-25"], database: database).status == 0)
        let blocked = await eventually(timeout: .seconds(30)) {
            let waiting = try? await holder.query(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            ).scalar(Int64.self)
            return waiting == 1
        }
        #expect(blocked, "\(service.text.suffix(2000))")

        service.signal(SIGTERM)
        #expect(await service.waitForOutput(containing: "stop requested") != nil)
        try await Task.sleep(for: .seconds(1))
        #expect(await service.waitForExit(timeout: .milliseconds(10)) == nil, "the write in flight holds the stop")
        let health = try await HTTPClient.shared.execute(
            HTTPClientRequest(url: "http://127.0.0.1:\(metricsPort)/health"), timeout: .seconds(5))
        #expect([200, 503].contains(health.status.code), "the metrics server answers until the scheduler stopped")

        try await holder.execute(script: "ROLLBACK")
        await holder.close()
        let status = await service.waitForExit(timeout: .seconds(15))
        #expect(status == 0, "\(service.text.suffix(3000))")
        #expect(await listener.waitFor("STOPPING=1", timeout: .seconds(2)))
    }

    @Test func recoversFromAPostgreSQLRestartAndPicksUpNewAssets() async throws {
        try await withOwnCluster(named: "liqsync-svc") { cluster in
            let url = cluster.connectionString
            #expect(try await LiqsyncBinary.run(["migrate", "--database-url", url], database: nil).status == 0)
            #expect(try await LiqsyncBinary.run(["assets", "add", "btc", "--since", "2025-03-01", "--database-url", url], database: nil).status == 0)

            let fake = try await FakeKaikoProcess.start(["--now", SyncEngineTests.t0, "--speed", "0"])
            defer { fake.stop() }
            let service = try BackgroundProcess(
                LiqsyncBinary.url, ["run", "--poll-interval", "1", "--now", SyncEngineTests.t0, "--database-url", url] + fake.liqsyncArguments,
                environment: fake.liqsyncEnvironment)
            #expect(await service.waitForOutput(containing: "btc: ", timeout: .seconds(90)) != nil, "\(service.text)")

            try await cluster.restart()
            // A new asset added after the restart is synced by the same, still running, service.
            #expect(try await LiqsyncBinary.run(["assets", "add", "eth", "--since", "2025-03-01", "--database-url", url], database: nil).status == 0)
            let connection = try await PostgresConnection.connect(PostgresConfiguration(connectionString: url))
            let caughtUp = await eventually(timeout: .seconds(30)) {
                (try? await connection.query(
                    "SELECT watermark > sync_from FROM liquidations.asset WHERE asset = 'eth'").scalar(Bool.self)) == true
            }
            #expect(caughtUp, "\(service.text.suffix(2000))")
            #expect(service.isRunning, "the service survived the restart")
            await connection.close()
            service.signal(SIGTERM)
            #expect(await service.waitForExit(timeout: .seconds(10)) == 0)
        }
    }

    @Test func aPartThatFailsToStartEndsTheProcessLoudlyWithoutEverPingingTheWatchdog() async throws {
        let fake = try await FakeKaikoProcess.start(["--now", SyncEngineTests.t0, "--speed", "0"])
        defer { fake.stop() }
        let database = try await prepare(assets: ["btc"], since: "2025-03-01")
        let listener = try NotifySocketListener()
        defer { listener.stop() }
        // The stand-in's own port: certainly taken.
        let taken = try #require(fake.baseURL.split(separator: ":").last.flatMap { Int($0) })
        let service = try startService(fake, database, listener, metricsPort: taken, watchdogMicroseconds: 200_000)
        // Starting may take long on a loaded machine; once the part has failed, the process ends
        // well before the 20 s graceful-shutdown limit.
        #expect(await service.waitForOutput(containing: "the address is in use", timeout: .seconds(90)) != nil, "\(service.text)")
        let status = await service.waitForExit(timeout: .seconds(15))
        #expect(status == 71, "\(service.text)")
        #expect(service.text.contains("cannot serve metrics on 127.0.0.1:\(taken): the address is in use"), "\(service.text)")
        #expect(await listener.waitFor("STOPPING=1", timeout: .seconds(2)))
        // Half a second is over two watchdog intervals: a ping would have arrived by now.
        try await Task.sleep(for: .milliseconds(500))
        #expect(!listener.received.contains { $0.contains("WATCHDOG=1") }, "\(listener.received)")
        #expect(!listener.received.contains { $0.contains("READY=1") }, "never claimed to be up")
    }
}
