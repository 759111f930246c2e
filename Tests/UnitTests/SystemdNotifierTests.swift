import Foundation
import Ingest
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("SystemdNotifier: the supervisor protocol")
struct SystemdNotifierTests {
    /// A bound unix datagram socket that is read only when asked to.
    final class Receiver {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("n-\(UUID().uuidString.prefix(8)).sock").path
        let descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)

        init() throws {
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
            guard descriptor >= 0, bound == 0 else { throw POSIXError(.EADDRINUSE) }
        }

        func drain() -> [String] {
            var buffer = [UInt8](repeating: 0, count: 4096)
            var messages: [String] = []
            while case let count = recv(descriptor, &buffer, buffer.count, 0), count > 0 {
                messages.append(String(decoding: buffer[0..<count], as: UTF8.self))
            }
            return messages
        }

        deinit {
            close(descriptor)
            unlink(path)
        }
    }

    @Test func sendsAssignmentsAsOneDatagram() throws {
        let receiver = try Receiver()
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": receiver.path, "WATCHDOG_USEC": "4000000"])
        #expect(notifier.watchdogInterval == .seconds(2))
        notifier.ready(status: "2 assets\nsynced")
        #expect(receiver.drain() == ["READY=1\nSTATUS=2 assets synced"])
    }

    @Test func aSupervisorThatDoesNotReadNeverBlocksTheSender() async throws {
        let receiver = try Receiver()
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": receiver.path])
        // Far more than a unix datagram queue holds (net.unix.max_dgram_qlen, 10 by default).
        // Sent from a thread of its own so that a blocking send fails the test instead of hanging it.
        let result = Mutex<Int?>(nil)
        Thread.detachNewThread {
            let delivered = (0..<500).map { notifier.send(["STATUS=pass \($0)"]) ? 1 : 0 }.reduce(0, +)
            result.withLock { $0 = delivered }
        }
        let deadline = ContinuousClock.now + .seconds(10)
        while result.withLock({ $0 }) == nil && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        let finished = result.withLock { $0 }
        let delivered = try #require(finished, "sending blocked on a full queue")
        #expect(delivered < 500, "the queue filled and the rest were dropped")
        #expect(receiver.drain().count == delivered)
        #expect(notifier.send(["STATUS=after draining"]), "sending works again once the supervisor reads")
    }

    @Test func withoutNotifySocketEverythingIsANoOp() {
        let notifier = SystemdNotifier(environment: ["WATCHDOG_USEC": "4000000"])
        #expect(!notifier.isEnabled && notifier.watchdogInterval == nil)
        #expect(!notifier.send(["READY=1"]))
    }
}
