import LiquidationModel

/// A small, fast, seedable generator: the same seed gives the same numbers on every machine and
/// release, which is what deterministic synthetic data needs (`SystemRandomNumberGenerator`
/// cannot be seeded).
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    /// A generator seeded from several values (FNV-1a over their bytes).
    init(_ parts: [UInt64], label: String) {
        var hash = FNV1a()
        for part in parts { hash.add(part) }
        hash.add(bytes: label.utf8)
        state = hash.value
    }

    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }

    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
}

/// FNV-1a of a string, for seeding from asset codes.
func stableHash(_ text: String) -> UInt64 {
    FNV1a.hash(text)
}
