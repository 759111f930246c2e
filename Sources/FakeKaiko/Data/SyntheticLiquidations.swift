/// Liquidation figures in integer units of 1e-10 USD, so sums over exchanges and hours are exact
/// and print as decimals with many digits, like Kaiko's floats. `Int128`, so a day's sum of a
/// busy asset cannot overflow.
struct FakeFigures: Equatable, Sendable {
    var longTrades: Int64 = 0
    var shortTrades: Int64 = 0
    var longUnits: Int128 = 0
    var shortUnits: Int128 = 0

    var totalTrades: Int64 { longTrades + shortTrades }
    var totalUnits: Int128 { longUnits + shortUnits }
    var isEmpty: Bool { totalTrades == 0 && totalUnits == 0 }

    static func + (lhs: FakeFigures, rhs: FakeFigures) -> FakeFigures {
        FakeFigures(
            longTrades: lhs.longTrades + rhs.longTrades, shortTrades: lhs.shortTrades + rhs.shortTrades,
            longUnits: lhs.longUnits + rhs.longUnits, shortUnits: lhs.shortUnits + rhs.shortUnits)
    }
}

/// One interval (an hour, or a bucket of hours) of one asset: per-exchange figures, whose sums
/// are the totals.
struct FakeInterval: Equatable, Sendable {
    var start: Int64
    var exchanges: [(code: String, figures: FakeFigures)]

    var totals: FakeFigures { exchanges.reduce(FakeFigures()) { $0 + $1.figures } }

    static func == (lhs: FakeInterval, rhs: FakeInterval) -> Bool {
        lhs.start == rhs.start && lhs.exchanges.map(\.code) == rhs.exchanges.map(\.code)
            && lhs.exchanges.map(\.figures) == rhs.exchanges.map(\.figures)
    }
}

/// Deterministic synthetic data: the same (seed, asset, hour) always gives the same figures.
struct SyntheticLiquidations: Sendable {
    let seed: UInt64
    /// Share of hours with no liquidation at all (omitted from `data`).
    let emptyHourRate: Double

    static let exchangeCodes = ["bbit", "okex", "binc", "bfnx", "drbt", "hbdm", "krkn", "bmex", "bgon", "gtio",
                                "hypr", "mexc", "phmx", "cnex"]

    /// The final figures of an hour, or nil when nothing was liquidated.
    func finalHour(asset: String, hourStart: Int64) -> FakeInterval? {
        var rng = SplitMix64([seed, stableHash(asset), UInt64(bitPattern: hourStart)], label: "final")
        if rng.unit() < emptyHourRate { return nil }
        let count = Int(rng.next() % 10) + 1
        var codes = Self.exchangeCodes
        codes.shuffle(using: &rng)
        let scale = assetScale(asset)
        let exchanges = codes.prefix(count).map { code in
            (code: code, figures: randomFigures(&rng, scale: scale))
        }
        return FakeInterval(start: hourStart, exchanges: exchanges)
    }

    /// How many provisional versions an hour goes through before its final one, from 1 to
    /// `stages`: late reports from the exchanges revise some hours once, others several times.
    func provisionalVersions(asset: String, hourStart: Int64, stages: Int) -> Int {
        guard stages > 1 else { return 1 }
        var rng = SplitMix64([seed, stableHash(asset), UInt64(bitPattern: hourStart)], label: "versions")
        return 1 + Int(rng.next() % UInt64(stages))
    }

    /// What the API says while an hour is still being revised: partial counts, sometimes an
    /// exchange that the final figures will not have, or one missing that they will, and now and
    /// then liquidations in an hour that the final figures find empty (a whole hour dropped).
    /// Each `version` is a different draw of the same kinds of differences.
    func provisionalHour(asset: String, hourStart: Int64, version: Int = 0) -> FakeInterval? {
        var rng = SplitMix64([seed, stableHash(asset), UInt64(bitPattern: hourStart)],
                             label: version == 0 ? "provisional" : "provisional-\(version)")
        guard var hour = finalHour(asset: asset, hourStart: hourStart) else {
            guard rng.unit() < 0.3 else { return nil }
            let code = Self.exchangeCodes[Int(rng.next() % UInt64(Self.exchangeCodes.count))]
            return FakeInterval(start: hourStart, exchanges: [(code, randomFigures(&rng, scale: 0.2))])
        }
        hour.exchanges = hour.exchanges.map { entry in
            let percent = Int64(50 + rng.next() % 46)
            var figures = entry.figures
            figures.longTrades = figures.longTrades * percent / 100
            figures.shortTrades = max(1, figures.shortTrades * percent / 100)
            figures.longUnits = figures.longTrades == 0 ? 0 : figures.longUnits * Int128(percent) / 100 + 7
            figures.shortUnits = figures.shortUnits * Int128(percent) / 100 + 3
            return (entry.code, figures)
        }
        if hour.exchanges.count > 1, rng.unit() < 0.3 {
            hour.exchanges.remove(at: Int(rng.next() % UInt64(hour.exchanges.count)))
        }
        if rng.unit() < 0.3, let extra = Self.exchangeCodes.first(where: { code in !hour.exchanges.contains { $0.code == code } }) {
            hour.exchanges.append((extra, randomFigures(&rng, scale: 0.2)))
        }
        return hour
    }

    private func assetScale(_ asset: String) -> Double {
        switch asset {
        case "btc": return 8
        case "eth": return 4
        case "sol", "xrp", "doge": return 1.5
        default: return 0.5
        }
    }

    private func randomFigures(_ rng: inout SplitMix64, scale: Double) -> FakeFigures {
        let longTrades = Int64(Double(rng.next() % 120) * rng.unit() * scale)
        var shortTrades = Int64(Double(rng.next() % 120) * rng.unit() * scale)
        if longTrades + shortTrades == 0 { shortTrades = 1 }
        // Average liquidation size between 50 and 60,000 USD, to 1e-10 USD.
        func units(_ trades: Int64) -> Int128 {
            guard trades > 0 else { return 0 }
            let size = 50 + rng.unit() * rng.unit() * 60_000
            return Int128(trades) * Int128(size * 10_000_000_000) + Int128(rng.next() % 10_000_000_000)
        }
        return FakeFigures(longTrades: longTrades, shortTrades: shortTrades, longUnits: units(longTrades), shortUnits: units(shortTrades))
    }
}
