import NIOCore
import Synchronization

/// Data pages already served, kept while the clock stands still.
///
/// With a frozen clock (`--speed 0`) a page is a pure function of its request: same URL, same
/// bytes. Kaiko builds its pages on its own machines; the stand-in builds them on the machine
/// that also runs liqsync and PostgreSQL, which skews a benchmark of liqsync. The benchmark
/// warms this cache with one untimed pass, after which a page costs a lookup, as a warm API
/// would. A running clock changes every answer's `request_time`, so nothing is kept then.
final class PageCache: Sendable {
    private struct State {
        var pages: [String: ByteBuffer] = [:]
        var bytes = 0
    }

    private let state = Mutex(State())
    /// More than this many bytes of pages and the cache starts again from empty (a bound, not a
    /// policy: the benchmark's pages fit many times over).
    let capacityBytes: Int

    init(capacityBytes: Int = 256 << 20) {
        self.capacityBytes = capacityBytes
    }

    /// The key of a request at the stand-in's `now`: everything a page depends on.
    static func key(authority: String, target: String, now: Double) -> String {
        "\(authority) \(now.bitPattern) \(target)"
    }

    func page(_ key: String) -> ByteBuffer? {
        state.withLock { $0.pages[key] }
    }

    func store(_ page: ByteBuffer, for key: String) {
        state.withLock { state in
            if state.bytes + page.readableBytes > capacityBytes {
                state.pages.removeAll()
                state.bytes = 0
            }
            state.pages[key] = page
            state.bytes += page.readableBytes
        }
    }
}
