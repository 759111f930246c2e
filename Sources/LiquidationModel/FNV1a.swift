/// FNV-1a, 64 bits: a stable, dependency-free hash, the same on every machine and release (for
/// fingerprints and seeds that are stored or compared across processes; not against adversaries).
///
/// The byte loops are `@inlinable`: a fingerprint hashes every amount of every hour written, and
/// an unspecialized generic loop over `String.UTF8View` from another module cost a sixth of the
/// ingest path's CPU time (scripts/bench, perf).
public struct FNV1a: Sendable {
    @usableFromInline var state: UInt64 = 0xcbf2_9ce4_8422_2325

    public var value: UInt64 { state }

    public init() {}

    @inlinable
    public mutating func add(byte: UInt8) {
        state = (state ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
    }

    @inlinable
    public mutating func add<Bytes: Sequence>(bytes: Bytes) where Bytes.Element == UInt8 {
        let done: Void? = bytes.withContiguousStorageIfAvailable { buffer in
            for byte in buffer { add(byte: byte) }
        }
        if done == nil {
            for byte in bytes { add(byte: byte) }
        }
    }

    /// A string's UTF-8 bytes (native strings are contiguous UTF-8: no copy, no per-byte call).
    @inlinable
    public mutating func add(utf8 text: String) {
        var text = text
        text.withUTF8 { buffer in
            for byte in buffer { add(byte: byte) }
        }
    }

    /// The eight bytes of `number`, least significant first.
    @inlinable
    public mutating func add(_ number: UInt64) {
        for shift in stride(from: 0, to: 64, by: 8) { add(byte: UInt8(truncatingIfNeeded: number >> UInt64(shift))) }
    }

    /// The hash of a string's UTF-8 bytes.
    public static func hash(_ text: String) -> UInt64 {
        var hash = FNV1a()
        hash.add(utf8: text)
        return hash.value
    }
}
