import Testing

@testable import Telemetry

/// A metric's handles are made once per set of dimensions and reused, as hummingbird's
/// `MetricsMiddleware` keeps its own.
@Suite("Metrics: handles made once")
struct MetricHandleTests {
    @Test func aCounterMakesOneHandlePerSetOfDimensions() {
        let counter = CounterMetric("test_events_total", help: "Events, for a test.")
        for _ in 0..<100 { counter.increment(by: 1, [("asset", "btc"), ("change", "inserted")]) }
        #expect(counter.handles == 1)
        counter.increment(by: 1, [("asset", "eth"), ("change", "inserted")])
        counter.increment(by: 1, [("asset", "btc"), ("change", "deleted")])
        counter.increment(by: 1, [("asset", "btc"), ("change", "inserted")])
        #expect(counter.handles == 3)
        counter.increment(by: 0.5, [("asset", "btc"), ("change", "inserted")])
        #expect(counter.handles == 4, "a fractional increment has a handle of its own")
    }
}
