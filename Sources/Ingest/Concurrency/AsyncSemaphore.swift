/// At most `permits` bodies at a time; the others wait (suspended, no thread blocked) in the
/// order they arrived.
///
/// A sync pass has many assets' requests in flight but writes at most `concurrency` chunks at a
/// time, each on a database connection of its own: the permits are the connections.
actor AsyncSemaphore {
    private var available: Int
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(permits: Int) {
        available = max(1, permits)
    }

    /// Runs `body` holding a permit. A waiter that is cancelled still waits its turn: the holders
    /// see the same cancellation and end soon, and `body` decides what a cancelled task does.
    func withPermit<T: Sendable>(_ body: @Sendable () async throws -> T) async rethrows -> T {
        await acquire()
        do {
            let value = try await body()
            release()
            return value
        } catch {
            release()
            throw error
        }
    }

    /// Waits for a permit; pair with `release` where a closure cannot hold the work.
    func acquire() async {
        if available > 0 {
            available -= 1
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    func release() {
        if waiting.isEmpty {
            available += 1
        } else {
            // The permit passes straight to the longest waiter.
            waiting.removeFirst().resume()
        }
    }
}
