import Dispatch
import Synchronization

import Glibc

/// A serial executor backed by one dedicated OS thread.
///
/// libpq's calls block (network round trips, lock waits), and a blocked thread of Swift's
/// cooperative pool stalls unrelated tasks; the pool has only as many threads as cores. Every
/// `PostgresConnection` therefore runs its actor jobs here, on a thread of its own, so blocking
/// there is harmless. The type is `Sendable` by construction: its only mutable state is inside a
/// `Mutex`, and the wake-up signal is a `DispatchSemaphore`.
final class ConnectionThread: SerialExecutor, Sendable {
    private struct State: ~Copyable {
        var jobs: [UnownedJob] = []
        var stopping = false
    }

    private let state = Mutex(State())
    private let wakeUp = DispatchSemaphore(value: 0)

    init() {
        // A plain POSIX thread (Foundation's `Thread` would load the whole of Foundation). The
        // thread holds a reference to the executor until its loop ends.
        let context = Unmanaged.passRetained(self).toOpaque()
        var thread = pthread_t()
        let status = pthread_create(&thread, nil, { context in
            Unmanaged<ConnectionThread>.fromOpaque(context!).takeRetainedValue().runLoop()
            return nil
        }, context)
        precondition(status == 0, "could not start a thread for a database connection (pthread_create: \(status))")
        pthread_detach(thread)
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        state.withLock { $0.jobs.append(job) }
        wakeUp.signal()
    }

    /// Lets the thread finish the jobs already queued, then exit. Called once the connection
    /// actor is gone, so no new job can arrive.
    func stop() {
        state.withLock { $0.stopping = true }
        wakeUp.signal()
    }

    private func runLoop() {
        while true {
            wakeUp.wait()
            let (jobs, stopping) = state.withLock { state -> ([UnownedJob], Bool) in
                let jobs = state.jobs
                state.jobs.removeAll(keepingCapacity: true)
                return (jobs, state.stopping)
            }
            for job in jobs {
                job.runSynchronously(on: asUnownedSerialExecutor())
            }
            if stopping { return }
        }
    }
}
