import Foundation
import LiquidationModel
import Synchronization
import Testing

@testable import Ingest

/// The chunks fetched ahead adapt: up while writers wait for the API, down when the API says to
/// slow down, within the cap; chunks on their way and fetched ones waiting share a bound in bytes.
@Suite("Fetch ahead: additive increase, multiplicative decrease")
struct FetchAheadTests {
    /// A clock the test moves.
    final class ManualClock: Sendable {
        let now = Mutex(ContinuousClock.now)
        func advance(_ duration: Duration) { now.withLock { $0 += duration } }
        var read: @Sendable () -> ContinuousClock.Instant { { self.now.withLock { $0 } } }
    }

    func take(_ fetchAhead: FetchAhead, _ count: Int) -> Int {
        (0..<count).filter { _ in fetchAhead.tryTake() }.count
    }

    @Test func itStartsAtTwoAndGrowsByOneEachTimeAWriterWaitsWithEveryShareInUse() {
        final class Limits: Sendable { let seen = Mutex([Int]()) }
        let limits = Limits()
        let fetchAhead = FetchAhead(cap: 5, maxHeldBytes: .max) { limit in limits.seen.withLock { $0.append(limit) } }
        #expect(fetchAhead.snapshot.limit == 2)
        #expect(take(fetchAhead, 3) == 2, "two shares, no third")
        fetchAhead.writerWaited()
        #expect(fetchAhead.snapshot.limit == 3)
        #expect(take(fetchAhead, 2) == 1)
        fetchAhead.giveBack()
        fetchAhead.writerWaited()
        #expect(fetchAhead.snapshot.limit == 3, "a share was free: waiting was not the limit's doing")
        #expect(take(fetchAhead, 1) == 1)
        for _ in 0..<10 {
            _ = take(fetchAhead, 5)
            fetchAhead.writerWaited()
        }
        #expect(fetchAhead.snapshot.limit == 5, "never above the cap")
        #expect(limits.seen.withLock { $0 } == [2, 3, 4, 5], "each new limit reported (the metric)")
    }

    @Test func aSlowDownHalvesItOnceABurstAndNeverBelowOne() {
        let clock = ManualClock()
        let fetchAhead = FetchAhead(cap: 64, maxHeldBytes: .max, clock: clock.read)
        while fetchAhead.snapshot.limit < 20 {
            _ = take(fetchAhead, 64)
            fetchAhead.writerWaited()
        }
        fetchAhead.slowDown()
        fetchAhead.slowDown()
        fetchAhead.slowDown()
        #expect(fetchAhead.snapshot.limit == 10, "a burst of 429s at one moment halves it once")
        clock.advance(FetchAhead.decreaseSpacing)
        fetchAhead.slowDown()
        #expect(fetchAhead.snapshot.limit == 5)
        for _ in 0..<10 {
            clock.advance(FetchAhead.decreaseSpacing)
            fetchAhead.slowDown()
        }
        #expect(fetchAhead.snapshot.limit == 1)
        #expect(fetchAhead.snapshot.decreases == 4, "20 → 10 → 5 → 2 → 1")
        _ = take(fetchAhead, 64)
        fetchAhead.writerWaited()
        #expect(fetchAhead.snapshot.limit == 1, "no growth while the API has just asked to slow down")
        clock.advance(FetchAhead.decreaseSpacing * 4)
        fetchAhead.writerWaited()
        #expect(fetchAhead.snapshot.limit == 1, "nor, however long after, before a request sent since is answered")
        // Sent before the last slow-down, four spacings ago.
        fetchAhead.answered(sentAt: fetchAhead.now - FetchAhead.decreaseSpacing * 5, slowDowns: 0)
        fetchAhead.writerWaited()
        #expect(fetchAhead.snapshot.limit == 1, "an answer to a request sent before the slow-down says nothing")
        let sentAfter = fetchAhead.now
        clock.advance(.seconds(1))
        fetchAhead.answered(sentAt: sentAfter, slowDowns: 0)
        fetchAhead.writerWaited()
        #expect(fetchAhead.snapshot.limit == 2, "and growth again once one sent after it is answered without one")
        let sentLater = fetchAhead.now
        clock.advance(.seconds(1))
        fetchAhead.answered(sentAt: sentLater, slowDowns: 2)
        #expect(fetchAhead.snapshot.limit == 1, "an answer after 429s is a slow-down")
    }

    @Test func chunksOnTheirWayAndChunksWaitingForTheWritersShareTheBytes() {
        let fetchAhead = FetchAhead(cap: 16, maxHeldBytes: 1000, expectedChunkBytes: 100)
        for _ in 0..<20 {
            _ = take(fetchAhead, 16)
            fetchAhead.writerWaited()
        }
        var now = fetchAhead.snapshot
        #expect(now.limit == 10 && now.taken == 10 && now.fetching == 10,
                "ten chunks of 100 bytes on their way fill the 1000: no more shares, and no growth past them: \(now)")

        fetchAhead.arrived(bytes: 100, shared: true)
        fetchAhead.arrived(bytes: 100, shared: true)
        now = fetchAhead.snapshot
        #expect(now.fetching == 8 && now.heldBytes == 200, "arrived: held until written, no longer on its way: \(now)")
        fetchAhead.release(bytes: 100)
        fetchAhead.giveBack()
        #expect(fetchAhead.tryTake(), "one written: room for one more on its way")
        #expect(!fetchAhead.tryTake(), "and for only one")

        fetchAhead.arrived(bytes: 400, shared: true)
        now = fetchAhead.snapshot
        #expect(now.expectedChunkBytes == 400, "a heavier chunk raises what the others are expected to weigh: \(now)")
        fetchAhead.release(bytes: 100)
        fetchAhead.giveBack()
        #expect(!fetchAhead.tryTake(), "400 held and eight on their way at 400 each: over the bound")
        fetchAhead.writerWaited()
        #expect(fetchAhead.snapshot.limit == 10, "a pause, not a smaller limit: the latency stays hidden once they catch up")

        for _ in 0..<8 { fetchAhead.arrived(bytes: 0, shared: true) }
        fetchAhead.release(bytes: 400)
        fetchAhead.giveBack(fetchAhead.snapshot.taken)
        now = fetchAhead.snapshot
        #expect(now.heldBytes == 0 && now.fetching == 0 && now.taken == 0, "\(now)")
        #expect(fetchAhead.tryTake(), "written and failed fetches free the bytes")
    }

    @Test func aChunkHeavierThanTheBoundStillLeavesEachLoopItsNextChunk() {
        let fetchAhead = FetchAhead(cap: 8, maxHeldBytes: 1000, expectedChunkBytes: 5000)
        #expect(!fetchAhead.tryTake(), "no share: each loop fetches the chunk it needs next, unshared")
        fetchAhead.arrived(bytes: 5000, shared: false)
        #expect(fetchAhead.snapshot.fetching == 0 && fetchAhead.snapshot.heldBytes == 5000)
    }

    /// Loops over a slow API with a generous cap: the bytes, not the cap, bound what is on its
    /// way and waiting, each loop's own next chunk aside.
    @Test func loopsOverASlowAPIStayWithinTheBytes() async {
        let fetchAhead = FetchAhead(cap: 64, maxHeldBytes: 1000, expectedChunkBytes: 100)
        final class Counts: Sendable { let value = Mutex((inFlight: 0, peak: 0)) }
        let counts = Counts()
        let loops = 4
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<loops {
                group.addTask {
                    await forEachPrefetched(Array(0..<30), ahead: 64, budget: fetchAhead, weight: { _ in 100 }, fetch: { value in
                        counts.value.withLock { $0.inFlight += 1; $0.peak = max($0.peak, $0.inFlight) }
                        try await Task.sleep(for: .milliseconds(10))
                        counts.value.withLock { $0.inFlight -= 1 }
                        return value
                    }) { _, _ in true }
                }
            }
        }
        let peak = counts.value.withLock { $0.peak }
        #expect(peak <= 1000 / 100 + loops, "ten chunks of 100 bytes within 1000, and each loop's next: \(peak)")
        #expect(peak > FetchAhead.initialLimit + loops, "it still grew past its start: \(peak)")
        let after = fetchAhead.snapshot
        #expect(after.taken == 0 && after.heldBytes == 0 && after.fetching == 0, "\(after)")
    }

    @Test func aCapOfZeroFetchesNothingAhead() {
        let fetchAhead = FetchAhead(cap: 0, maxHeldBytes: .max)
        fetchAhead.writerWaited()
        #expect(!fetchAhead.tryTake() && fetchAhead.snapshot.limit == 0)
    }

    /// Loops with a slow fetch and a quick consumer: the limit grows past its start until the
    /// latency is hidden. Every share and byte comes back.
    @Test func loopsOverASlowAPIRaiseIt() async {
        let fetchAhead = FetchAhead(cap: 32, maxHeldBytes: .max)
        final class Peak: Sendable { let value = Mutex(0) }
        let peak = Peak()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<2 {
                group.addTask {
                    await forEachPrefetched(Array(0..<40), ahead: 32, budget: fetchAhead, weight: { _ in 100 }, fetch: { value in
                        try await Task.sleep(for: .milliseconds(20))
                        return value
                    }) { _, _ in
                        peak.value.withLock { $0 = max($0, fetchAhead.snapshot.limit) }
                        return true
                    }
                }
            }
        }
        let grown = fetchAhead.snapshot
        #expect(grown.limit > FetchAhead.initialLimit && grown.increases > 0, "\(grown)")
        #expect(peak.value.withLock { $0 } > FetchAhead.initialLimit)
        #expect(grown.taken == 0 && grown.heldBytes == 0 && grown.fetching == 0, "every share and byte came back: \(grown)")
    }
}
