import Foundation
import Synchronization

/// A fault the stand-in can answer with instead of the data.
public enum FakeFault: Sendable, Equatable {
    /// 500 or 503 with a JSON error body.
    case serverError(status: Int)
    /// 502 with an HTML body, as a proxy in front of the API would send.
    case badGateway
    /// 429 with `Retry-After` in seconds, or as an HTTP date that many seconds ahead.
    case rateLimited(retryAfterSeconds: Int, asHTTPDate: Bool)
    /// 200 with the JSON cut short.
    case truncatedBody
    /// 200 with a body that is not JSON at all.
    case malformedBody
    /// The connection is closed half-way through the body.
    case disconnect
}

/// Decides, per request, whether to misbehave: first any scripted faults (for tests that need an
/// exact sequence), then the server-side rate limit, then the configured random rates.
final class FaultInjector: Sendable {
    private struct State {
        var scripted: [FakeFault] = []
        var random: SplitMix64
        var tokens: Double
        var lastRefill: Double
    }

    private let configuration: FaultConfiguration
    private let state: Mutex<State>

    init(configuration: FaultConfiguration) {
        self.configuration = configuration
        let burst = max(1, configuration.rateLimitPerSecond ?? 1)
        self.state = Mutex(State(random: SplitMix64(seed: configuration.seed), tokens: burst, lastRefill: Date().timeIntervalSince1970))
    }

    func script(_ faults: [FakeFault]) {
        state.withLock { $0.scripted += faults }
    }

    func nextFault() -> FakeFault? {
        let now = Date().timeIntervalSince1970
        return state.withLock { state -> FakeFault? in
            if !state.scripted.isEmpty { return state.scripted.removeFirst() }
            if let rate = configuration.rateLimitPerSecond {
                state.tokens = min(max(1, rate), state.tokens + (now - state.lastRefill) * rate)
                state.lastRefill = now
                if state.tokens < 1 {
                    return .rateLimited(retryAfterSeconds: configuration.retryAfterSeconds, asHTTPDate: false)
                }
                state.tokens -= 1
            }
            let roll = state.random.unit()
            var threshold = configuration.serverErrorRate
            if roll < threshold { return .serverError(status: state.random.next() % 2 == 0 ? 500 : 503) }
            threshold += configuration.badGatewayRate
            if roll < threshold { return .badGateway }
            threshold += configuration.malformedBodyRate
            if roll < threshold { return state.random.next() % 2 == 0 ? .truncatedBody : .malformedBody }
            threshold += configuration.disconnectRate
            if roll < threshold { return .disconnect }
            return nil
        }
    }
}
