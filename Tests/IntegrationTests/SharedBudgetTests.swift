import Foundation
import Ingest
import LiquidationStore
import Logging
import Postgres
import Synchronization
import Testing

/// The API request budget shared through PostgreSQL: several processes (here, several budgets
/// with connections of their own) together stay within one rate, and a 429 seen by one holds
/// back all.
@Suite("Shared request budget: one rate for every process using the database")
struct SharedBudgetTests {
    let logger = Logger(label: "test")

    func migrated() async throws -> TestDatabase {
        let database = try await TestDatabase.create()
        try await database.withConnection { connection async throws in
            _ = try await MigrationRunner(connection: connection, migrations: try Migration.embedded(), logger: logger).migrate()
        }
        return database
    }

    @Test func aFullBucketGrantsTheBurstThenReservesSlotsAtTheRate() async throws {
        let database = try await migrated()
        try await database.withConnection { connection async throws in
            // Each take ran at some moment between `before` and `after`; its slot is that moment
            // plus its reservation.
            var takes: [(before: Double, after: Double, reservation: Double)] = []
            let start = ContinuousClock.now
            for _ in 0..<8 {
                let before = start.duration(to: .now).inSeconds
                // Slots ten seconds apart: far longer than a statement takes on a loaded machine,
                // so the takes after the burst do hold reservations. (At two seconds, a CI run
                // that started forty suites at once took two seconds a statement: the bucket
                // refilled between takes.) Nothing waits for its slot here.
                let grant = try await SharedBudgetStore.take(ratePerSecond: 0.1, burst: 3, on: connection)
                takes.append((before, start.duration(to: .now).inSeconds, grant.reservation.inSeconds))
            }
            #expect(takes.prefix(3).allSatisfy { $0.reservation == 0 }, "a full bucket: three at once: \(takes)")
            // While callers hold reservations, slots follow each other exactly ten seconds apart,
            // however long the statements took.
            let reserved = zip(takes, takes.dropFirst()).filter { $0.reservation > 0 && $1.reservation > 0 }
            #expect(reserved.count >= 3, "\(takes)")
            for (previous, next) in reserved {
                let earliest = (next.before + next.reservation) - (previous.after + previous.reservation)
                let latest = (next.after + next.reservation) - (previous.before + previous.reservation)
                #expect(earliest <= 10 + 1e-3 && latest >= 10 - 1e-3, "slots \(earliest)...\(latest) s apart, not 10: \(takes)")
            }
        }
    }

    @Test func aPauseHoldsBackEveryoneAndSpendsTheBurst() async throws {
        let database = try await migrated()
        try await database.withConnection { connection async throws in
            _ = try await SharedBudgetStore.take(ratePerSecond: 10, burst: 10, on: connection)
            let paused = ContinuousClock.now
            // Long enough that the take below falls inside it however loaded the machine is
            // (nothing waits for it: the grant only says how long to).
            try await SharedBudgetStore.pause(for: .seconds(60), on: connection)
            // A shorter pause later does not shorten the one in force.
            try await SharedBudgetStore.pause(for: .seconds(1), on: connection)
            let grant = try await SharedBudgetStore.take(ratePerSecond: 10, burst: 10, on: connection)
            let elapsed = paused.duration(to: .now)
            #expect(grant.pause <= .seconds(60) && grant.pause + elapsed >= .seconds(60), "\(grant) after \(elapsed)")
            // The burst is gone: the first request after the pause has the first slot after it.
            #expect(abs((grant.reservation - grant.pause).inSeconds - 0.1) < 0.01, "\(grant)")
        }
    }

    @Test func processesSharingTheDatabaseTogetherKeepToOneRate() async throws {
        let database = try await migrated()
        let rate = 20.0
        let budgets = (0..<3).map { _ in
            SharedRequestBudget(configuration: database.configuration, requestsPerSecond: rate, burst: 2, logger: logger)
        }
        let sent = SendTimes()
        let started = ContinuousClock.now
        // Three "processes", each with four tasks sending requests as fast as allowed.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for budget in budgets {
                for _ in 0..<4 {
                    group.addTask {
                        for _ in 0..<5 {
                            try await budget.acquire()
                            sent.record()
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        for budget in budgets { await budget.close() }
        let times = sent.times.sorted()
        #expect(times.count == 60)
        // No request goes before its slot: the k-th can go no earlier than (k + 1 - burst) / rate
        // after the start, whatever the scheduling delays (they only make requests later).
        // Separate buckets would have let each process send its 20 in under a second.
        for (index, time) in times.enumerated() {
            let earliest = Double(index + 1 - 2) / rate
            #expect(started.duration(to: time).inSeconds >= earliest - 0.005, "request \(index) at \(started.duration(to: time))")
        }
    }

    @Test func aPauseSetByOneProcessHoldsBackAnother() async throws {
        let database = try await migrated()
        let first = SharedRequestBudget(configuration: database.configuration, requestsPerSecond: 50, logger: logger)
        let second = SharedRequestBudget(configuration: database.configuration, requestsPerSecond: 50, logger: logger)
        try await first.acquire()
        // Timed from before the pause is set: the pause ends 1.5 s after the server set it, and
        // that was no earlier than this. (Timed from after `pause` returned, a return delayed
        // half a second while forty suites started at once left 0.97 s to measure.)
        let started = ContinuousClock.now
        await first.pause(for: .milliseconds(1500))
        try await second.acquire()
        let waited = started.duration(to: .now)
        #expect(waited >= .milliseconds(1400), "the other process waited \(waited)")
        #expect(await second.isPaused == false, "the pause is over once acquire returns")
        await first.close()
        await second.close()
    }
}

/// When requests were let through, from many tasks.
final class SendTimes: Sendable {
    private let storage = Mutex<[ContinuousClock.Instant]>([])
    func record() { storage.withLock { $0.append(.now) } }
    var times: [ContinuousClock.Instant] { storage.withLock { $0 } }
}
