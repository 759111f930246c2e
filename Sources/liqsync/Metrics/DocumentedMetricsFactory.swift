import CoreMetrics
import Ingest
import Prometheus

/// swift-prometheus's factory registers every metric with an empty help text, and `promtool
/// check metrics` rightly flags each family without `# HELP`. This factory makes the same
/// Prometheus metrics through the registry's own API, with the help text and histogram buckets
/// that `MetricCatalog` lists for the name. Destroying goes to swift-prometheus's factory, which
/// unregisters the metric.
struct DocumentedMetricsFactory: MetricsFactory {
    let registry: PrometheusCollectorRegistry
    private let destroyer: PrometheusMetricsFactory

    init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
        self.destroyer = PrometheusMetricsFactory(registry: registry)
    }

    /// A name the catalog does not know is exported without help; the test that runs `promtool
    /// check metrics` on the live output catches it.
    private func describe(_ name: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: MetricCatalog.help[name] ?? "")
    }

    func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        registry.makeCounter(descriptor: describe(label), labels: dimensions)
    }

    func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        registry.makeCounter(descriptor: describe(label), labels: dimensions)
    }

    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        guard aggregate else { return registry.makeGauge(descriptor: describe(label), labels: dimensions) }
        return registry.makeValueHistogram(
            descriptor: describe(label), labels: dimensions, buckets: destroyer.defaultValueHistogramBuckets)
    }

    func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        registry.makeGauge(descriptor: describe(label), labels: dimensions)
    }

    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        let buckets = MetricCatalog.durationBuckets[label] ?? destroyer.defaultDurationHistogramBuckets
        return registry.makeDurationHistogram(descriptor: describe(label), labels: dimensions, buckets: buckets)
    }

    func destroyCounter(_ handler: any CounterHandler) { destroyer.destroyCounter(handler) }
    func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {
        destroyer.destroyFloatingPointCounter(handler)
    }
    func destroyRecorder(_ handler: any RecorderHandler) { destroyer.destroyRecorder(handler) }
    func destroyMeter(_ handler: any MeterHandler) { destroyer.destroyMeter(handler) }
    func destroyTimer(_ handler: any TimerHandler) { destroyer.destroyTimer(handler) }
}
