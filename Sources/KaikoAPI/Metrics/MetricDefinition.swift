import CoreMetrics

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

/// A counter (whole numbers; `fractional` for seconds and the like).
public struct CounterMetric: Sendable {
    public let definition: MetricDefinition
    let fractional: Bool

    public init(_ name: String, help: String, fractional: Bool = false) {
        definition = MetricDefinition(name, .counter, help: help)
        self.fractional = fractional
    }

    public func increment(by amount: Int = 1, _ dimensions: [(String, String)] = []) {
        Counter(label: definition.name, dimensions: dimensions).increment(by: amount)
    }

    public func increment(by amount: Double, _ dimensions: [(String, String)] = []) {
        FloatingPointCounter(label: definition.name, dimensions: dimensions).increment(by: amount)
    }
}

/// A gauge: a value that goes up and down.
public struct GaugeMetric: Sendable {
    public let definition: MetricDefinition

    public init(_ name: String, help: String) {
        definition = MetricDefinition(name, .gauge, help: help)
    }

    public func record(_ value: Double, _ dimensions: [(String, String)] = []) {
        Gauge(label: definition.name, dimensions: dimensions).record(value)
    }
}

/// A histogram of durations, in seconds.
public struct DurationMetric: Sendable {
    public let definition: MetricDefinition

    public init(_ name: String, help: String, buckets: [Duration]) {
        definition = MetricDefinition(name, .histogram, help: help, buckets: buckets)
    }

    public func record(seconds: Double, _ dimensions: [(String, String)] = []) {
        Timer(label: definition.name, dimensions: dimensions).recordNanoseconds(Int64(seconds * 1e9))
    }
}
