/// What the API can see at a given fake time: published hours (final or provisional), and
/// their sums over aligned buckets of `interval` hours.
struct FakeDataset: Sendable {
    let configuration: FakeKaikoConfiguration
    let synthetic: SyntheticLiquidations

    init(configuration: FakeKaikoConfiguration) {
        self.configuration = configuration
        self.synthetic = SyntheticLiquidations(seed: configuration.seed, emptyHourRate: configuration.emptyHourRate)
    }

    /// The end (exclusive) of the published hours at `now`.
    func publishedEnd(now: Int64) -> Int64 {
        let lastEnded = now - configuration.publicationDelaySeconds
        return lastEnded - ((lastEnded % 3600) + 3600) % 3600
    }

    /// An hour as published at `now`; nil if not published yet, before the dataset, or empty.
    func hour(asset: String, start: Int64, now: Int64) -> FakeInterval? {
        guard start >= configuration.datasetStart, start + 3600 <= publishedEnd(now: now) else { return nil }
        let publishedAt = start + 3600 + configuration.publicationDelaySeconds
        let finalAt = publishedAt + configuration.revisionHours * 3600
        if now < finalAt {
            // The revision window split evenly among the hour's provisional versions.
            let versions = synthetic.provisionalVersions(asset: asset, hourStart: start, stages: configuration.revisionStages)
            let version = Int((now - publishedAt) * Int64(versions) / (finalAt - publishedAt))
            return synthetic.provisionalHour(asset: asset, hourStart: start, version: version)
        }
        return synthetic.finalHour(asset: asset, hourStart: start)
    }

    /// The final figures, whatever the clock says (the truth endpoint).
    func finalHour(asset: String, start: Int64) -> FakeInterval? {
        guard start >= configuration.datasetStart else { return nil }
        return synthetic.finalHour(asset: asset, hourStart: start)
    }

    /// The sum of the published hours in `[start, start + intervalHours h)`; nil when none has data.
    func bucket(asset: String, start: Int64, intervalHours: Int64, now: Int64) -> FakeInterval? {
        if intervalHours == 1 { return hour(asset: asset, start: start, now: now) }
        var byExchange: [String: FakeFigures] = [:]
        var order: [String] = []
        for index in 0..<intervalHours {
            guard let hour = hour(asset: asset, start: start + index * 3600, now: now) else { continue }
            for (code, figures) in hour.exchanges {
                if byExchange[code] == nil { order.append(code) }
                byExchange[code, default: FakeFigures()] = byExchange[code, default: FakeFigures()] + figures
            }
        }
        guard !order.isEmpty else { return nil }
        return FakeInterval(start: start, exchanges: order.map { ($0, byExchange[$0]!) })
    }
}
