/// JSON text appended as UTF-8 bytes to one growing buffer.
///
/// A page carries about a megabyte of figures. Kaiko builds its pages on its own machines; the
/// stand-in builds them on the cores that liqsync and PostgreSQL share in a benchmark, so what it
/// spends there is taken from what is measured. Growing a `String` piece by piece, and printing
/// each number through `description`, cost most of the stand-in's CPU: numbers here are written
/// digit by digit into the buffer instead.
struct JSONBytes {
    private(set) var bytes: [UInt8] = []

    init(reservingCapacity capacity: Int = 0) {
        bytes.reserveCapacity(capacity)
    }

    /// Text written as it is (punctuation, keys, literals).
    mutating func raw(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    mutating func raw(_ text: String) {
        bytes.append(contentsOf: text.utf8)
    }

    /// A JSON string literal.
    mutating func string(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): raw("\\\"")
            case UInt8(ascii: "\\"): raw("\\\\")
            case UInt8(ascii: "\n"): raw("\\n")
            case ..<0x20:
                raw("\\u00")
                bytes.append(Self.hexDigit(byte >> 4))
                bytes.append(Self.hexDigit(byte & 0xF))
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    mutating func integer(_ value: Int64) {
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        digits(value.magnitude, minimumWidth: 1)
    }

    /// `units` of 1e-10 as a decimal literal with every digit: `281481.7815643695`, and `0` for
    /// zero; trailing zeros of the fraction dropped.
    mutating func decimal(units: Int128) {
        let scale: UInt128 = 10_000_000_000
        if units < 0 { bytes.append(UInt8(ascii: "-")) }
        let magnitude = units.magnitude
        let whole = magnitude / scale
        var fraction = UInt64(magnitude % scale)
        if whole <= UInt128(UInt64.max) {
            digits(UInt64(whole), minimumWidth: 1)
        } else {
            raw(String(whole))
        }
        guard fraction != 0 else { return }
        var width = 10
        while fraction % 10 == 0 {
            fraction /= 10
            width -= 1
        }
        bytes.append(UInt8(ascii: "."))
        digits(fraction, minimumWidth: width)
    }

    /// `value` in decimal, left-padded with zeros to `minimumWidth`.
    private mutating func digits(_ value: UInt64, minimumWidth: Int) {
        var scratch: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes: UInt64's 20 digits fit
        withUnsafeMutableBytes(of: &scratch) { buffer in
            var rest = value
            var position = buffer.count
            repeat {
                position -= 1
                buffer[position] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
            } while rest != 0 || buffer.count - position < minimumWidth
            bytes.append(contentsOf: buffer[position...])
        }
    }

    private static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
    }
}
