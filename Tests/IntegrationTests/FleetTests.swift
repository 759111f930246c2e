import Foundation
import Postgres
import Testing
import TestSupport

/// Several `liqsync run` processes against one database: they share the assets (one writer per
/// asset, through its lock) and one API budget (through the database), and when one dies the
/// others take over its assets.
@Suite("Fleet: three instances, one database, one API budget")
struct FleetTests {
    static let rate = 6.0
    static let pollInterval = 2
    static let assets = (1...60).map { String(format: "f%02d", $0) }
    /// A day and a half of history: one small request per asset, so that the budget, not the
    /// work, sets the pace.
    static let since = "2025-04-03"

    /// Assets one instance has in progress at once. An instance locks the assets it has in
    /// progress; with the default (32) two instances could hold all sixty between them and the
    /// third find nothing to do, which is fine in production but would not show three sharing.
    static let requestsInFlight = 8

    /// `liqsync run` number `index`, known to PostgreSQL as `fleet-<index>`.
    func startInstance(_ index: Int, fake: FakeKaikoProcess, database: TestDatabase) throws -> BackgroundProcess {
        try BackgroundProcess(
            LiqsyncBinary.url,
            [
                "run", "--poll-interval", String(Self.pollInterval), "--now", SyncEngineTests.t0,
                "--max-requests-per-second", String(Self.rate), "--requests-in-flight", String(Self.requestsInFlight),
            ] + fake.liqsyncArguments,
            environment: fake.liqsyncEnvironment.merging([
                "DATABASE_URL": "\(database.connectionString) application_name=fleet-\(index)"
            ]) { $1 })
    }

    /// The assets whose watermark is the last settled hour before the pretended now.
    func currentAssets(_ database: TestDatabase) async throws -> Set<String> {
        try await database.withConnection { connection async throws in
            let settled = SyncEngineTests.t0Seconds / 3600 * 3600 - 3600
            return Set(try await connection.query(
                "SELECT asset FROM liquidations.asset WHERE extract(epoch FROM watermark)::bigint = \(settled)"
            ).rows.map { try $0.decode(String.self) })
        }
    }

    /// Which instance holds an asset's claim in this database right now (application names).
    func lockHolders(_ database: TestDatabase) async throws -> [String] {
        try await database.withConnection { connection async throws in
            try await connection.query(
                """
                SELECT a.application_name FROM liquidations.asset_claim AS c
                JOIN pg_stat_activity AS a ON a.pid = c.session_pid
                """
            ).rows.map { try $0.decode(String.self) }
        }
    }

    @Test(.timeLimit(.minutes(5)))
    func threeInstancesShareSixtyAssetsAndOneBudgetAndTakeOverFromOneKilled() async throws {
        // The stand-in would answer 429 above two and a half times the budget: three processes
        // each with a budget of their own would run into it.
        let fake = try await FakeKaikoProcess.start([
            "--now", SyncEngineTests.t0, "--speed", "0", "--assets", Self.assets.joined(separator: ","),
            "--rate-limit", String(Self.rate * 2.5),
        ])
        defer { fake.stop() }
        let database = try await TestDatabase.create()
        #expect(try await LiqsyncBinary.run(["migrate"], database: database).status == 0)
        let first59 = Array(Self.assets.dropLast())
        #expect(try await LiqsyncBinary.run(["assets", "add"] + first59 + ["--since", Self.since], database: database).status == 0)

        let started = Date().timeIntervalSince1970
        var instances = try (1...3).map { try startInstance($0, fake: fake, database: database) }
        defer { for instance in instances { instance.signal(SIGKILL) } }

        // Every asset becomes current, each loaded by exactly one instance, all three working.
        let allCurrent = await eventually(timeout: .seconds(90)) {
            (try? await currentAssets(database))?.count == first59.count
        }
        #expect(allCurrent, "\(instances.map { $0.text.suffix(1500) })")
        for (index, instance) in instances.enumerated() {
            #expect(instance.text.contains("committed chunk"), "instance \(index + 1) did some of the work")
        }

        // The 60th asset arrives while the stand-in trickles its answer: whichever instance takes
        // it holds its lock until it is killed.
        let last = try #require(Self.assets.last)
        try await fake.setPersistentFault("slow-body:200", asset: last)
        #expect(try await LiqsyncBinary.run(["assets", "add", last, "--since", Self.since], database: database).status == 0)
        var holder: String?
        _ = await eventually(timeout: .seconds(30)) {
            holder = try? await lockHolders(database).first
            return holder != nil
        }
        let holderName = try #require(holder, "an instance took \(last)")
        // Its request is under way: the stand-in has it (59 earlier requests, one per asset).
        let requested = await eventually(timeout: .seconds(30)) {
            (try? await fake.stats())?.arrivals.count == first59.count + 1
        }
        #expect(requested)
        let victim = try #require(Int(holderName.dropFirst("fleet-".count))) - 1
        // The stand-in answers the next request for it promptly (the one under way keeps
        // trickling); then its holder dies.
        try await fake.setPersistentFault("none", asset: last)
        instances[victim].signal(SIGKILL)
        #expect(await instances[victim].waitForExit(timeout: .seconds(10)) != nil)
        let killed = ContinuousClock.now

        // Another instance takes the asset at its next pass, within a poll interval and the time
        // a pass over 59 current assets takes (seconds on a loaded machine): the dead session's
        // claim is released with it, not when its 60 s lease ends.
        var takenOverAfter: Duration?
        _ = await eventually(timeout: .seconds(30), every: .milliseconds(50)) {
            let holders = (try? await lockHolders(database)) ?? []
            let current = (try? await currentAssets(database))?.contains(last) ?? false
            if current || holders.contains(where: { $0 != holderName }) {
                takenOverAfter = killed.duration(to: .now)
                return true
            }
            return false
        }
        let takeOver = try #require(takenOverAfter, "nobody took \(last) over")
        #expect(takeOver < .seconds(Self.pollInterval) + .seconds(8), "taken over after \(takeOver)")
        let everyAssetCurrent = await eventually(timeout: .seconds(30)) {
            (try? await currentAssets(database))?.count == Self.assets.count
        }
        #expect(everyAssetCurrent)

        // No error, and no window written twice: one committed chunk per asset, nothing failed.
        let (committed, failed, assetsWritten) = try await database.withConnection { connection async throws in
            try await connection.query(
                """
                SELECT count(*) FILTER (WHERE status = 'ok'), count(*) FILTER (WHERE status = 'failed'),
                       count(DISTINCT asset) FILTER (WHERE status = 'ok')
                FROM liquidations.sync_run
                """
            ).rows[0].decode(Int64.self, Int64.self, Int64.self)
        }
        #expect(committed == Int64(Self.assets.count) && assetsWritten == Int64(Self.assets.count), "\(committed) chunks")
        #expect(failed == 0)
        let errors = instances.enumerated().filter { $0.offset != victim }.flatMap { $0.element.text.split(separator: "\n") }
            .filter { $0.contains(" error ") }
        #expect(errors.isEmpty, "\(errors.prefix(5))")

        // The combined request rate kept to the one budget: the k-th request reached the stand-in
        // no earlier than its slot, (k + 1 - burst) / rate after the start, and none was refused.
        let stats = try await fake.stats()
        #expect(stats.byStatus[429] == nil, "\(stats.byStatus)")
        #expect(stats.arrivals.count == Self.assets.count + 1, "one request per asset, and the one cut off by the kill")
        let burst = Self.rate
        for (index, arrival) in stats.arrivals.enumerated() {
            let earliest = started + (Double(index) + 1 - burst) / Self.rate
            #expect(arrival >= earliest - 0.005, "request \(index) arrived \(earliest - arrival) s before its slot")
        }
        let window = (stats.arrivals.last ?? started) - started
        print("fleet: \(stats.arrivals.count) requests in \(String(format: "%.2f", window)) s (budget \(Self.rate)/s, burst \(burst)); taken over after \(takeOver)")

        for (index, instance) in instances.enumerated() where index != victim {
            instance.signal(SIGTERM)
            #expect(await instance.waitForExit(timeout: .seconds(15)) == 0, "\(instance.text.suffix(1000))")
        }
        instances = []
    }
}
