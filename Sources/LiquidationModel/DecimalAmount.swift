/// An exact decimal amount in USD, kept as the decimal text the API sent (`474520.3599480028`,
/// `0`). It never passes through binary floating point, so what is stored in PostgreSQL's
/// `numeric` prints as the same number.
///
/// A text of up to 32 characters (every amount Kaiko's page and the stand-in show) is packed in
/// the value itself, half a byte per character (a decimal literal has only 15 distinct ones), not
/// kept as a `String`: an amount that long is not a small string, and the bench backfill made
/// 830,000 of them, each a heap object to allocate, retain and free. Packed, an amount takes 24
/// bytes in a record instead of 40 (a chunk of records is a third smaller in memory). Longer
/// texts are kept as a `String`. Equal texts are equal amounts, whatever the storage (a text is
/// always stored the one way its length decides).
public struct DecimalAmount: Hashable, Sendable, CustomStringConvertible {
    private var storage: Storage

    private enum Storage: Hashable, Sendable {
        case packed(PackedText)
        case string(String)
    }

    public init?(_ text: String) {
        guard Self.isDecimalLiteral(text) else { return nil }
        self.init(unchecked: text)
    }

    /// The amount spelled by `utf8`, or nil if it is not a decimal literal.
    public init?(utf8: UnsafeRawBufferPointer) {
        guard utf8.withMemoryRebound(to: UInt8.self, { Self.isDecimalLiteral($0) }) else { return nil }
        if let packed = PackedText(utf8) {
            storage = .packed(packed)
        } else {
            storage = .string(String(decoding: utf8, as: UTF8.self))
        }
    }

    public static let zero = DecimalAmount(unchecked: "0")

    init(unchecked text: String) {
        var text = text
        storage = text.withUTF8 { PackedText(UnsafeRawBufferPointer($0)) }.map(Storage.packed) ?? .string(text)
    }

    /// The decimal text: an optional `-`, digits, an optional fraction, an optional exponent.
    public var text: String {
        switch storage {
        case .string(let text): text
        case .packed: withUTF8 { String(decoding: $0, as: UTF8.self) }
        }
    }

    public var description: String { text }

    /// Calls `body` with the text's UTF-8 bytes, without making a `String`.
    public func withUTF8<Result>(_ body: (UnsafeBufferPointer<UInt8>) throws -> Result) rethrows -> Result {
        switch storage {
        case .packed(let packed):
            // 32 bytes on the stack (a generic temporary allocation cost a metadata lookup per call).
            var bytes: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
            let count = withUnsafeMutableBytes(of: &bytes) { packed.unpack(into: $0) }
            return try withUnsafeBytes(of: &bytes) { raw in
                try body(UnsafeBufferPointer(start: raw.baseAddress?.assumingMemoryBound(to: UInt8.self), count: count))
            }
        case .string(var text):
            return try text.withUTF8(body)
        }
    }

    /// Appends the text's UTF-8 bytes (how every amount reaches COPY).
    public func appendUTF8(to buffer: inout [UInt8]) {
        switch storage {
        case .packed(let packed): packed.append(to: &buffer)
        case .string(let text): buffer.append(contentsOf: text.utf8)
        }
    }

    /// True for a value below zero (a `-` before a mantissa that is not all zeros).
    public var isNegative: Bool {
        switch storage {
        case .packed(let packed): packed.isNegative
        case .string(var text): text.withUTF8 { Self.isNegative($0) }
        }
    }

    /// True for any spelling of zero (`0`, `0.000`, `-0`, `0e7`): no digit of the mantissa is
    /// other than 0.
    public var isZero: Bool {
        switch storage {
        case .packed(let packed): packed.isZero
        case .string(var text): text.withUTF8 { Self.isZero($0) }
        }
    }

    static func isNegative(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        bytes.first == UInt8(ascii: "-") && !isZero(bytes)
    }

    static func isZero(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        for byte in bytes {
            if byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") { break }
            if byte >= UInt8(ascii: "1") && byte <= UInt8(ascii: "9") { return false }
        }
        return true
    }

    /// JSON's number grammar (leading zeros tolerated): `-?\d+(\.\d+)?([eE][+-]?\d+)?`.
    static func isDecimalLiteral(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { isDecimalLiteral($0) }
    }

    static func isDecimalLiteral(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var index = 0
        func digits() -> Int {
            let start = index
            while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 { index += 1 }
            return index - start
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard digits() > 0 else { return false }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard digits() > 0 else { return false }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard digits() > 0 else { return false }
        }
        return index == bytes.count
    }
}

/// Up to 32 characters of a decimal literal in two words, four bits each: 0 ends the text, 1...15
/// stand for `0`...`9`, `.`, `-`, `+`, `e`, `E`. The first character is in the lowest bits; unused
/// bits stay zero, so equal texts are equal words.
private struct PackedText: Hashable, Sendable {
    private var low: UInt64 = 0
    private var high: UInt64 = 0

    static let capacity = 32
    /// Nil for a text longer than 32 characters or with a character no code stands for.
    init?(_ utf8: UnsafeRawBufferPointer) {
        guard utf8.count <= Self.capacity else { return nil }
        for (index, byte) in utf8.enumerated() {
            let code: UInt64
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): code = UInt64(byte - UInt8(ascii: "0") + 1)
            case UInt8(ascii: "."): code = 11
            case UInt8(ascii: "-"): code = 12
            case UInt8(ascii: "+"): code = 13
            case UInt8(ascii: "e"): code = 14
            case UInt8(ascii: "E"): code = 15
            default: return nil
            }
            if index < 16 { low |= code << (4 * UInt64(index)) } else { high |= code << (4 * UInt64(index - 16)) }
        }
    }

    /// Writes the text into `bytes` (32 of them at least); returns its length.
    func unpack(into bytes: UnsafeMutableRawBufferPointer) -> Int {
        var count = 0
        forEveryCode { code in
            bytes[count] = Self.character(code)
            count += 1
        }
        return count
    }

    func append(to buffer: inout [UInt8]) {
        forEveryCode { buffer.append(Self.character($0)) }
    }

    /// A `-` first, and a digit 1-9 before any exponent.
    var isNegative: Bool { low & 0xF == 12 && !isZero }

    /// No digit 1-9 before the exponent, if any.
    var isZero: Bool {
        var zero = true
        forEachCode { code -> Bool in
            if code >= 14 { return false }  // `e` or `E`: the mantissa is over
            if code >= 2 && code <= 10 { zero = false }
            return zero
        }
        return zero
    }

    /// The codes in order, until `body` returns false or the text ends.
    @inline(__always)
    private func forEachCode(_ body: (UInt64) -> Bool) {
        var word = low
        var read = 0
        while word != 0 {
            guard body(word & 0xF) else { return }
            word >>= 4
            read += 1
        }
        guard read == 16 else { return }
        word = high
        while word != 0 {
            guard body(word & 0xF) else { return }
            word >>= 4
        }
    }

    @inline(__always)
    private func forEveryCode(_ body: (UInt64) -> Void) {
        forEachCode { code -> Bool in
            body(code)
            return true
        }
    }

    private static func character(_ code: UInt64) -> UInt8 {
        switch code {
        case 1...10: UInt8(truncatingIfNeeded: code) + UInt8(ascii: "0") - 1
        case 11: UInt8(ascii: ".")
        case 12: UInt8(ascii: "-")
        case 13: UInt8(ascii: "+")
        case 14: UInt8(ascii: "e")
        default: UInt8(ascii: "E")
        }
    }
}
