import Foundation
import Logging
import Postgres
import Testing
import TestSupport

/// liqsync as operators run it: behind Debian's PgBouncer in both pool modes, against a
/// streaming standby that is promoted while `run` works, a TLS-only server, and an API reached
/// over HTTPS through an egress proxy that only tunnels. Every component is real, started by the
/// test and stopped after it.
/// One test at a time: each starts several servers and processes, which the rest of the suite
/// (timing bounds included) runs beside.
@Suite("Production set-ups: poolers, standbys and failover, TLS, egress proxies and private CAs", .serialized)
struct ProductionSetupsTests {
    static let assets = ["btc", "eth", "sol", "xrp"]
    static let t0 = SyncEngineTests.t0
    static func now(plusHours hours: Int64) -> String { SyncEngineTests.iso(SyncEngineTests.t0Seconds + hours * 3600) }
    /// The watermark at t0 + `hours`: the end of the last hour settled (10 min after it ended),
    /// as the database prints it.
    static func settled(plusHours hours: Int64) -> String {
        let seconds = (SyncEngineTests.t0Seconds + hours * 3600 - 600) / 3600 * 3600
        let text = SyncEngineTests.iso(seconds)
        return String(text.prefix(10)) + " " + String(text.dropFirst(11).prefix(8)) + "+00"
    }

    func liqsync(
        _ arguments: [String], _ database: TestDatabase, _ fake: FakeKaikoProcess, environment: [String: String] = [:]
    ) async throws -> ProcessOutcome {
        try await LiqsyncBinary.run(
            arguments + fake.liqsyncArguments, database: database, environment: fake.liqsyncEnvironment.merging(environment) { $1 })
    }

    /// Asset watermarks, claims left and failed runs, read directly from the server.
    func state(_ database: TestDatabase) async throws -> (watermarks: [String: String], claims: Int64, failedRuns: Int64) {
        try await database.withConnection { connection async throws in
            let rows = try await connection.query("SELECT asset, coalesce(watermark::text, '-') FROM liquidations.asset").rows
            var watermarks: [String: String] = [:]
            for row in rows {
                let (asset, watermark) = try row.decode(String.self, String.self)
                watermarks[asset] = watermark
            }
            let claims = try await connection.query("SELECT count(*) FROM liquidations.asset_claim").scalar(Int64.self)
            let failed = try await connection.query("SELECT count(*) FROM liquidations.sync_run WHERE status = 'failed'")
                .scalar(Int64.self)
            return (watermarks, claims, failed)
        }
    }

    /// Every asset is current to the hour settled `plusHours` after t0, no claim is left and no
    /// run failed.
    func expectCurrentAndReleased(_ database: TestDatabase, plusHours: Int64) async throws {
        let after = try await state(database)
        #expect(after.watermarks == Dictionary(uniqueKeysWithValues: Self.assets.map { ($0, Self.settled(plusHours: plusHours)) }))
        #expect(after.claims == 0 && after.failedRuns == 0)
    }

    /// migrate, assets add, backfill, sync through `pooler`: each exits 0, the pooling is found
    /// out as `mode`, the views equal the truth, no claim is left.
    func loadThroughPooler(_ pooler: Pooler, mode: String, fake: FakeKaikoProcess) async throws -> TestDatabase {
        let direct = try await TestDatabase.create()
        let pooled = pooler.route(direct)
        let migrate = try await LiqsyncBinary.run(["migrate"], database: pooled)
        #expect(migrate.status == 0, "\(migrate.stderr)")
        let add = try await LiqsyncBinary.run(["assets", "add"] + Self.assets + ["--since", "2025-03-30"], database: pooled)
        #expect(add.status == 0, "\(add.stderr)")
        let backfill = try await liqsync(["backfill"] + Self.assets + ["--from", "2025-03-20", "--now", Self.t0], pooled, fake)
        #expect(backfill.status == 0, "\(backfill.stderr)")
        let sync = try await liqsync(["sync", "--now", Self.t0, "--log-level", "debug"], pooled, fake)
        #expect(sync.status == 0, "\(sync.stderr)")
        #expect(sync.stderr.contains("pooling=\(mode)"), "the pooling is found out: \(sync.stderr.prefix(2000))")
        for asset in Self.assets {
            #expect(sync.stdout.contains("\(asset): 1 chunk"), "\(sync.stdout)")
            try await expectViewsEqualTruth(database: direct, fake: fake, asset: asset)
        }
        try await expectCurrentAndReleased(direct, plusHours: 0)
        return direct
    }

    /// A PgBouncer started from this test process (whose threads block SIGTERM, a mask children
    /// inherit) ends when `pg-cluster stop` asks: it used to ignore the signal and outlive the
    /// suite, listening, its directory gone.
    @Test(.timeLimit(.minutes(1)))
    func aPoolerTheSuiteStartsIsGoneOnceStopped() async throws {
        let pid = try await withPooler(mode: "transaction") { pooler in
            try #require(Int32(try String(contentsOf: pooler.directory.appendingPathComponent("pgbouncer.pid"), encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines)))
        }
        let stat = "/proc/\(pid)/stat"
        let gone = (try? String(contentsOfFile: stat, encoding: .utf8)).map { $0.split(separator: ")").last?.dropFirst().first == "Z" }
        #expect(gone ?? true, "PgBouncer (pid \(pid)) still runs after pg-cluster stop")
    }

    /// `--pooling auto` finds a transaction pooler while other clients keep it busy (a fleet
    /// starting at once), and a session pooler as one: a round in which another client's server
    /// session got in the way proves nothing, and the probe asks again. (One round at a time once
    /// took a busy transaction pooler for a session of its own, and every prepared statement
    /// was then lost.)
    @Test(.timeLimit(.minutes(2)), arguments: ["transaction", "session"])
    func thePoolingProbeFindsTheModeOfAPoolerOthersKeepBusy(mode: String) async throws {
        try await withPooler(mode: mode, poolSize: 4) { pooler in
            let database = pooler.route(try await TestDatabase.create())
            var auto = database.configuration
            auto.pooling = .auto
            let configuration = auto
            let busy = Task {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for _ in 0..<2 {
                        group.addTask {
                            let client = try await PostgresConnection.connect(configuration)
                            while !Task.isCancelled { _ = try? await client.query("SELECT pg_sleep(0.01)") }
                            await client.close()
                        }
                    }
                    try await group.waitForAll()
                }
            }
            var found: [PostgresConfiguration.Pooling] = []
            for _ in 0..<10 {
                found.append(try await PoolingProbe.resolve(configuration, logger: Logger(label: "test")).pooling)
            }
            busy.cancel()
            try? await busy.value
            #expect(found.allSatisfy { $0.rawValue == mode }, "\(found)")
        }
    }

    @Test(.timeLimit(.minutes(3)))
    func throughPgBouncerInSessionModeTheDataIsExact() async throws {
        let fake = try await FakeKaikoProcess.start(["--now", Self.t0, "--speed", "0"])
        defer { fake.stop() }
        try await withPooler(mode: "session") { pooler in
            _ = try await loadThroughPooler(pooler, mode: "session", fake: fake)
        }
    }

    /// Transaction pooling, 4 server connections shared by every client (one liqsync alone opens
    /// more): two syncs and a manual backfill at once write each asset once, leave none stuck and
    /// nothing held.
    @Test(.timeLimit(.minutes(3)))
    func throughPgBouncerInTransactionModeOneWriterPerAssetAndNoneStuck() async throws {
        let fake = try await FakeKaikoProcess.start(["--now", Self.t0, "--speed", "0", "--latency-ms", "150"])
        defer { fake.stop() }
        try await withPooler(mode: "transaction", poolSize: 4) { pooler in
            let direct = try await loadThroughPooler(pooler, mode: "transaction", fake: fake)
            let pooled = pooler.route(direct)

            try await fake.advanceClock(hours: 3)
            let later = Self.now(plusHours: 3)
            async let first = liqsync(["sync", "--now", later], pooled, fake)
            async let second = liqsync(["sync", "--now", later], pooled, fake)
            async let backfill = liqsync(["backfill", "btc", "--from", "2025-03-25", "--restart", "--now", later], pooled, fake)
            let outcomes = try await [first, second, backfill]
            for outcome in outcomes {
                #expect(outcome.status == 0, "\(outcome.stdout)\n\(outcome.stderr)")
                #expect(!outcome.stderr.contains("error"), "\(outcome.stderr)")
            }
            // No asset was synced by both (one skipped what the other, or the backfill, had).
            for asset in Self.assets {
                let wrote = outcomes.prefix(2).filter { $0.stdout.contains("\(asset): 1 chunk") }.count
                #expect(wrote <= 1, "\(asset): \(outcomes.map(\.stdout))")
            }

            // Nothing is stuck: the next sync skips nothing and brings every asset current (btc,
            // if the backfill held it through both passes, now); the one after has nothing to do.
            let next = try await liqsync(["sync", "--now", later], pooled, fake)
            #expect(next.status == 0 && !next.stdout.contains("skipped"), "\(next.stdout)\n\(next.stderr)")
            let last = try await liqsync(["sync", "--now", later], pooled, fake)
            for asset in Self.assets {
                #expect(last.stdout.contains("\(asset): up to date"), "\(last.stdout)")
                try await expectViewsEqualTruth(database: direct, fake: fake, asset: asset)
            }
            try await expectCurrentAndReleased(direct, plusHours: 3)
            #expect(!pooler.log.contains("don't own"), "\(pooler.log.suffix(2000))")
        }
    }

    /// Behind a transaction pooler a dead instance's server sessions live on in the pool, so its
    /// claims end when their lease does: another instance takes its asset within the lease and
    /// a poll interval.
    @Test(.timeLimit(.minutes(3)))
    func behindATransactionPoolerADeadInstancesAssetIsTakenOverWhenItsLeaseEnds() async throws {
        let fake = try await FakeKaikoProcess.start(["--now", Self.t0, "--speed", "0"])
        defer { fake.stop() }
        try await withPooler(mode: "transaction") { pooler in
            let direct = try await TestDatabase.create()
            let pooled = pooler.route(direct)
            #expect(try await LiqsyncBinary.run(["migrate"], database: pooled).status == 0)
            #expect(try await LiqsyncBinary.run(["assets", "add", "btc", "--since", "2025-04-03"], database: pooled).status == 0)
            let lease = 3
            func instance() throws -> BackgroundProcess {
                try BackgroundProcess(
                    LiqsyncBinary.url,
                    ["run", "--poll-interval", "1", "--now", Self.t0, "--claim-lease", String(lease)] + fake.liqsyncArguments,
                    environment: fake.liqsyncEnvironment.merging(["DATABASE_URL": pooled.connectionString]) { $1 })
            }
            // The first instance claims btc and waits on an answer that trickles; then it dies.
            try await fake.setPersistentFault("slow-body:200", asset: "btc")
            let doomed = try instance()
            defer { doomed.signal(SIGKILL) }
            let claimed = await eventually(timeout: .seconds(30)) {
                (try? await state(direct))?.claims == 1
            }
            #expect(claimed, "\(doomed.text.suffix(2000))")
            try await fake.setPersistentFault("none", asset: "btc")
            doomed.signal(SIGKILL)
            #expect(await doomed.waitForExit(timeout: .seconds(10)) != nil)
            let killed = ContinuousClock.now

            let successor = try instance()
            defer { successor.signal(SIGKILL) }
            let current = await eventually(timeout: .seconds(30), every: .milliseconds(50)) {
                (try? await state(direct))?.watermarks["btc"] == Self.settled(plusHours: 0)
            }
            let takeOver = killed.duration(to: .now)
            #expect(current, "\(successor.text.suffix(2000))")
            // The lease, a poll interval, and the successor's start (on a loaded CI machine, seconds).
            #expect(takeOver < .seconds(lease + 1 + 8), "taken over after \(takeOver)")
            #expect(takeOver > .seconds(lease) - .milliseconds(1500), "not before the lease could end: \(takeOver)")
            try await expectViewsEqualTruth(database: direct, fake: fake, asset: "btc")
            #expect((try await state(direct)).failedRuns == 0)
        }
    }

    /// A standby is the wrong server (exit 75, saying so); a two-host URL follows the primary
    /// through a failover while `run` keeps working.
    @Test(.timeLimit(.minutes(3)))
    func aStandbyIsATemporaryFailureAndRunFollowsAPromotedStandby() async throws {
        let fake = try await FakeKaikoProcess.start(["--now", Self.t0, "--speed", "0"])
        defer { fake.stop() }
        try await withOwnCluster(named: "liqsync-primary") { primary in
            #expect(try await LiqsyncBinary.run(["migrate"], database: primary.database).status == 0)
            #expect(try await LiqsyncBinary.run(["assets", "add", "btc", "--since", "2025-04-01"], database: primary.database).status == 0)
            try await withOwnCluster(named: "liqsync-standby", command: "standby", arguments: [primary.directory.path]) { standby in
                let before = try await state(primary.database)
                let atStandby = try await liqsync(["sync", "--now", Self.t0], standby.database, fake)
                #expect(atStandby.status == 75, "\(atStandby.stdout)\n\(atStandby.stderr)")
                #expect(atStandby.stderr.contains("read-only") && atStandby.stderr.contains("standby"), "\(atStandby.stderr)")
                #expect((try await state(primary.database)).watermarks == before.watermarks)
                #expect(try await fake.requestCount() == 0, "nothing is asked of the API for a server that cannot take it")

                let bothHosts = TestDatabase(
                    name: "postgres",
                    server: "host=\(primary.directory.path),\(standby.directory.path) port=\(primary.port),\(standby.port) "
                        + "user=postgres target_session_attrs=read-write")
                let run = try BackgroundProcess(
                    LiqsyncBinary.url, ["run", "--poll-interval", "1", "--now", Self.t0] + fake.liqsyncArguments,
                    environment: fake.liqsyncEnvironment.merging(["DATABASE_URL": bothHosts.connectionString]) { $1 })
                defer { run.signal(SIGKILL) }
                let loaded = await eventually(timeout: .seconds(30)) {
                    (try? await state(primary.database))?.watermarks["btc"] == Self.settled(plusHours: 0)
                }
                #expect(loaded, "\(run.text.suffix(2000))")

                // The primary dies; the standby is promoted; an asset is added on the new primary.
                try await primary.kill()
                try await standby.promote()
                let added = try await LiqsyncBinary.run(["assets", "add", "eth", "--since", "2025-04-01"], database: bothHosts)
                #expect(added.status == 0, "\(added.stderr)")
                let promoted = ContinuousClock.now
                // Replication is asynchronous: btc's last commits may not have reached the standby
                // before the primary died. Its watermark went back with them, so it is loaded again.
                let followed = await eventually(timeout: .seconds(30), every: .milliseconds(100)) {
                    (try? await state(standby.database))?.watermarks
                        == ["btc": Self.settled(plusHours: 0), "eth": Self.settled(plusHours: 0)]
                }
                #expect(followed, "\(run.text.suffix(3000))")
                #expect(promoted.duration(to: .now) < .seconds(10), "loaded after \(promoted.duration(to: .now))")
                #expect(run.isRunning)
                for asset in ["btc", "eth"] {
                    try await expectViewsEqualTruth(database: standby.database, fake: fake, asset: asset)
                }
                // Every log record is one line, libpq's multi-line messages included.
                let records = run.text.split(separator: "\n")
                #expect(records.allSatisfy { $0.hasPrefix("20") }, "\(records.filter { !$0.hasPrefix("20") }.prefix(3))")
                run.signal(SIGTERM)
                #expect(await run.waitForExit() == 0)
            }
        }
    }

    /// TCP with TLS only: `sslmode=verify-full` with the right CA works; the wrong CA, or no TLS,
    /// is refused with exit 69 and libpq's reason, the password never shown.
    @Test(.timeLimit(.minutes(2)))
    func aTLSOnlyServerIsReachedWithVerifyFullAndTheWrongCAIsRefused() async throws {
        let ca = try await TestCA.make()
        defer { ca.remove() }
        let fake = try await FakeKaikoProcess.start(["--now", Self.t0, "--speed", "0"])
        defer { fake.stop() }
        try await withOwnCluster(named: "liqsync-tls", command: "start-tls", arguments: [ca.serverCertificate, ca.serverKey]) {
            cluster in
            let password = "tls-only-9d2f"
            try await cluster.database.withConnection { connection async throws in
                try await connection.execute(script: "ALTER ROLE postgres PASSWORD '\(password)'")
            }
            func overTCP(_ settings: String) -> TestDatabase {
                TestDatabase(name: "postgres", server: "host=localhost port=\(cluster.port) user=postgres password=\(password) \(settings)")
            }
            let verified = overTCP("sslmode=verify-full sslrootcert=\(ca.certificate)")
            #expect(try await LiqsyncBinary.run(["migrate"], database: verified).status == 0)
            #expect(try await LiqsyncBinary.run(["assets", "add", "btc", "--since", "2025-04-01"], database: verified).status == 0)
            let sync = try await liqsync(["sync", "--now", Self.t0], verified, fake)
            #expect(sync.status == 0, "\(sync.stderr)")
            try await expectViewsEqualTruth(database: cluster.database, fake: fake, asset: "btc")

            let wrongCA = try await LiqsyncBinary.run(
                ["status"], database: overTCP("sslmode=verify-full sslrootcert=\(ca.otherCertificate)"))
            #expect(wrongCA.status == 69, "\(wrongCA.stderr)")
            #expect(wrongCA.stderr.contains("certificate verify failed"), "\(wrongCA.stderr)")
            let plain = try await LiqsyncBinary.run(["status"], database: overTCP("sslmode=disable"))
            #expect(plain.status == 69, "\(plain.stderr)")
            #expect(plain.stderr.contains("no encryption"), "\(plain.stderr)")
            for outcome in [wrongCA, plain] {
                #expect(!outcome.stderr.contains(password) && !outcome.stdout.contains(password))
            }
        }
    }

    /// The only way out is tinyproxy, tunnelling to the API's port; the API speaks HTTPS with a
    /// certificate from a private CA.
    @Test(.timeLimit(.minutes(3)))
    func theAPIIsReachedThroughTheEgressProxyTrustingAPrivateCA() async throws {
        let ca = try await TestCA.make()
        defer { ca.remove() }
        let fake = try await FakeKaikoProcess.start(["--now", Self.t0, "--speed", "0"])
        defer { fake.stop() }
        let https = try await HTTPSStandIn.start(ca: ca, forwardingTo: fake)
        defer { https.stop() }
        let proxy = try await EgressProxy.start(allowingConnectTo: https.port)
        defer { proxy.stop() }
        let database = try await TestDatabase.create()
        #expect(try await LiqsyncBinary.run(["migrate"], database: database).status == 0)
        func sync(_ asset: String, _ extra: [String], environment: [String: String]) async throws -> ProcessOutcome {
            let add = try await LiqsyncBinary.run(["assets", "add", asset, "--since", "2025-04-01"], database: database)
            #expect(add.status == 0, "\(add.stderr)")
            return try await LiqsyncBinary.run(
                ["sync", "--asset", asset, "--now", Self.t0, "--base-url", https.baseURL] + extra, database: database,
                environment: fake.liqsyncEnvironment.merging(["NO_PROXY": "", "SSL_CERT_FILE": ""].merging(environment) { $1 }) { $1 })
        }

        // Through the proxy, without the private CA: refused as untrusted, at once, saying how to fix it.
        let untrusted = try await sync("btc", [], environment: ["HTTPS_PROXY": proxy.url])
        #expect(untrusted.status == 78, "\(untrusted.stdout)\n\(untrusted.stderr)")
        #expect(untrusted.stdout.contains("not trusted") && untrusted.stdout.contains("--ca-file"), "\(untrusted.stdout)")
        #expect(try await fake.requestCount() == 0)

        // With --ca-file: through the proxy's tunnel, exact.
        let tunnelled = try await sync("btc", ["--ca-file", ca.certificate], environment: ["HTTPS_PROXY": proxy.url])
        #expect(tunnelled.status == 0, "\(tunnelled.stderr)")
        #expect(proxy.tunnels.contains("localhost:\(https.port)"), "\(proxy.process.text.suffix(2000))")
        try await expectViewsEqualTruth(database: database, fake: fake, asset: "btc")

        // The lower-case variable and SSL_CERT_FILE do the same; NO_PROXY sends the API direct.
        let tunnelsBefore = proxy.tunnels.count
        let direct = try await sync(
            "eth", [], environment: ["https_proxy": proxy.url, "SSL_CERT_FILE": ca.certificate, "NO_PROXY": "localhost"])
        #expect(direct.status == 0, "\(direct.stderr)")
        #expect(proxy.tunnels.count == tunnelsBefore, "NO_PROXY bypasses the proxy")
        try await expectViewsEqualTruth(database: database, fake: fake, asset: "eth")

        // --proxy overrides the environment (here pointing nowhere); its credentials never show.
        let guarded = try await EgressProxy.start(allowingConnectTo: https.port, credentials: "liqsync s3cret-pw")
        defer { guarded.stop() }
        let withCredentials = try await sync(
            "sol", ["--proxy", "http://liqsync:s3cret-pw@127.0.0.1:\(guarded.port)", "--ca-file", ca.certificate, "--log-level", "debug"],
            environment: ["HTTPS_PROXY": "http://127.0.0.1:1"])
        #expect(withCredentials.status == 0, "\(withCredentials.stderr)")
        #expect(guarded.tunnels.contains("localhost:\(https.port)"))
        try await expectViewsEqualTruth(database: database, fake: fake, asset: "sol")
        let refused = try await sync(
            "xrp", ["--proxy", "http://liqsync:wrong-pw@127.0.0.1:\(guarded.port)", "--ca-file", ca.certificate, "--max-attempts", "1"],
            environment: [:])
        #expect(refused.status == 75, "\(refused.stdout)\n\(refused.stderr)")
        #expect(refused.stdout.contains("would not open a tunnel"), "\(refused.stdout)")
        for outcome in [withCredentials, refused] {
            let text = outcome.stdout + outcome.stderr
            #expect(!text.contains("s3cret-pw") && !text.contains("wrong-pw"), "credentials shown: \(text.prefix(2000))")
        }
    }
}
