import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A unix datagram socket standing in for systemd's notification socket: collects what a
/// process sends to `$NOTIFY_SOCKET`, reading as it arrives the way systemd does (a reader that
/// lags makes the sender drop notifications, by design).
final class NotifySocketListener: Sendable {
    let path: String
    private let descriptor: Int32
    private let messages = Mutex<[String]>([])
    private let stopped = Atomic<Bool>(false)

    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("notify-\(UUID().uuidString.prefix(8)).sock").path
        descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        let result = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard descriptor >= 0, result == 0 else { throw POSIXError(.EADDRINUSE) }
        let socketDescriptor = descriptor
        Thread.detachNewThread { [self] in
            while !stopped.load(ordering: .relaxed) {
                drain(socketDescriptor)
                usleep(5_000)
            }
        }
    }

    private func drain(_ descriptor: Int32) {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while case let count = recv(descriptor, &buffer, buffer.count, 0), count > 0 {
            let text = String(decoding: buffer[0..<count], as: UTF8.self)
            messages.withLock { $0.append(text) }
        }
    }

    /// Everything received so far, one entry per datagram (read by the listener's thread only,
    /// so the order is the order sent).
    var received: [String] { messages.withLock { $0 } }

    func waitFor(_ needle: String, timeout: Duration = .seconds(30)) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if received.contains(where: { $0.contains(needle) }) { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return false
    }

    /// Stops reading; the socket closes when the listener goes away.
    func stop() { stopped.store(true, ordering: .relaxed) }

    deinit {
        close(descriptor)
        unlink(path)
    }
}
