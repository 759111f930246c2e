import CoreMetrics
import Synchronization

/// A metric liqsync exports, declared once beside the code that emits it: its name, its type and
/// its `# HELP` text. The exporter (`liqsync run --metrics-address`), `MetricCatalog` and the
/// documentation all read the declarations; an emitter never spells a metric's name.
public struct MetricDefinition: Sendable, Hashable {
    public enum Kind: String, Sendable { case counter, gauge, histogram }

    public let name: String
    public let kind: Kind
    public let help: String
    /// A histogram's buckets (seconds); nil for the exporter's default.
    public let buckets: [Duration]?

    init(_ name: String, _ kind: Kind, help: String, buckets: [Duration]? = nil) {
        self.name = name
        self.kind = kind
        self.help = help
        self.buckets = buckets
    }
}

/// A counter (whole numbers; `increment(by: Double)` for seconds and the like).
public struct CounterMetric: Sendable {
    public let definition: MetricDefinition
    private let counters = HandleCache<Counter>()
    private let fractional = HandleCache<FloatingPointCounter>()

    public init(_ name: String, help: String) {
        definition = MetricDefinition(name, .counter, help: help)
    }

    public func increment(by amount: Int = 1, _ dimensions: [(String, String)] = []) {
        counters.handle(dimensions) { Counter(label: definition.name, dimensions: dimensions) }.increment(by: amount)
    }

    public func increment(by amount: Double, _ dimensions: [(String, String)] = []) {
        fractional.handle(dimensions) { FloatingPointCounter(label: definition.name, dimensions: dimensions) }
            .increment(by: amount)
    }

    /// Handles made so far.
    var handles: Int { counters.count + fractional.count }
}

/// A gauge: a value that goes up and down.
public struct GaugeMetric: Sendable {
    public let definition: MetricDefinition
    private let gauges = HandleCache<Gauge>()

    public init(_ name: String, help: String) {
        definition = MetricDefinition(name, .gauge, help: help)
    }

    public func record(_ value: Double, _ dimensions: [(String, String)] = []) {
        gauges.handle(dimensions) { Gauge(label: definition.name, dimensions: dimensions) }.record(value)
    }
}

/// A histogram of durations, in seconds.
public struct DurationMetric: Sendable {
    public let definition: MetricDefinition
    private let timers = HandleCache<Timer>()

    public init(_ name: String, help: String, buckets: [Duration]) {
        definition = MetricDefinition(name, .histogram, help: help, buckets: buckets)
    }

    public func record(seconds: Double, _ dimensions: [(String, String)] = []) {
        timers.handle(dimensions) { Timer(label: definition.name, dimensions: dimensions) }
            .recordNanoseconds(Int64(seconds * 1e9))
    }
}

/// A metric's handles, one per set of dimensions, made on first use and kept: an emit is then a
/// lookup instead of the factory's registration (the registry's lock and its own lookup), as
/// hummingbird's `MetricsMiddleware` keeps its handles. The labels are bounded (an asset at most,
/// and small fixed sets), and so is the cache. A process bootstraps its metrics backend before it
/// emits anything (`liqsync run` does so first), so no handle is made for the wrong backend.
final class HandleCache<Handle: Sendable>: Sendable {
    private let handles = Mutex<[[String]: Handle]>([:])

    func handle(_ dimensions: [(String, String)], _ make: () -> Handle) -> Handle {
        let key = dimensions.flatMap { [$0.0, $0.1] }
        return handles.withLock { handles in
            if let handle = handles[key] { return handle }
            let handle = make()
            handles[key] = handle
            return handle
        }
    }

    /// Handles made so far.
    var count: Int { handles.withLock { $0.count } }
}
