import Foundation
import Synchronization

/// The stand-in's idea of "now": a chosen instant that moves with real time at a chosen
/// speed, and can be set or advanced by tests (`POST /_fake/clock`).
public final class FakeClock: Sendable {
    private struct State {
        var anchorFake: Double  // fake seconds since the epoch at `anchorReal`
        var anchorReal: Double  // real seconds since the epoch
        var speed: Double
    }

    private let state: Mutex<State>
    private let realNow: @Sendable () -> Double

    /// - Parameters:
    ///   - now: the fake time at start (default: the real time).
    ///   - speed: fake seconds per real second (0 freezes the clock).
    public init(now: Date? = nil, speed: Double = 1, realNow: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }) {
        let real = realNow()
        self.realNow = realNow
        self.state = Mutex(State(anchorFake: now?.timeIntervalSince1970 ?? real, anchorReal: real, speed: speed))
    }

    /// Fake seconds since the epoch.
    public func now() -> Double {
        let real = realNow()
        return state.withLock { $0.anchorFake + (real - $0.anchorReal) * $0.speed }
    }

    /// True while fake time stands still (speed 0): answers that depend only on the request and
    /// the time may be reused.
    public var isFrozen: Bool { state.withLock { $0.speed == 0 } }

    public func set(_ date: Date) {
        let real = realNow()
        state.withLock {
            $0.anchorFake = date.timeIntervalSince1970
            $0.anchorReal = real
        }
    }

    public func advance(by seconds: Double) {
        let real = realNow()
        state.withLock {
            $0.anchorFake = $0.anchorFake + (real - $0.anchorReal) * $0.speed + seconds
            $0.anchorReal = real
        }
    }
}
