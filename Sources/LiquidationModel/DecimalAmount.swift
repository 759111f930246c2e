/// An exact decimal amount in USD, kept as the decimal text the API sent (`474520.3599480028`,
/// `0`). It never passes through binary floating point, so what is stored in PostgreSQL's
/// `numeric` prints as the same number.
///
/// A text of up to 30 bytes (every amount Kaiko's page and the stand-in show) is kept inline, in
/// the value itself, not as a `String`: an amount that long is not a small string, and the
/// bench backfill made 830,000 of them, each a heap object to allocate, retain and free. Longer
/// texts are kept as a `String`. Equal texts are equal amounts, whatever the storage (a text is
/// always stored the one way its length decides).
public struct DecimalAmount: Hashable, Sendable, CustomStringConvertible {
    private var storage: Storage

    private enum Storage: Hashable, Sendable {
        case inline(InlineText)
        case string(String)
    }

    public init?(_ text: String) {
        guard Self.isDecimalLiteral(text) else { return nil }
        self.init(unchecked: text)
    }

    /// The amount spelled by `utf8`, or nil if it is not a decimal literal.
    public init?(utf8: UnsafeRawBufferPointer) {
        guard utf8.withMemoryRebound(to: UInt8.self, { Self.isDecimalLiteral($0) }) else { return nil }
        if let inline = InlineText(utf8) {
            storage = .inline(inline)
        } else {
            storage = .string(String(decoding: utf8, as: UTF8.self))
        }
    }

    public static let zero = DecimalAmount(unchecked: "0")

    init(unchecked text: String) {
        var text = text
        storage = text.withUTF8 { InlineText(UnsafeRawBufferPointer($0)) }.map(Storage.inline) ?? .string(text)
    }

    /// The decimal text: an optional `-`, digits, an optional fraction, an optional exponent.
    public var text: String {
        switch storage {
        case .string(let text): text
        case .inline(let inline): inline.withUTF8 { String(decoding: $0, as: UTF8.self) }
        }
    }

    public var description: String { text }

    /// Calls `body` with the text's UTF-8 bytes, without making a `String`.
    public func withUTF8<Result>(_ body: (UnsafeBufferPointer<UInt8>) throws -> Result) rethrows -> Result {
        switch storage {
        case .inline(let inline): try inline.withUTF8(body)
        case .string(var text): try text.withUTF8(body)
        }
    }

    /// True for a value below zero (a `-` before a mantissa that is not all zeros).
    public var isNegative: Bool {
        withUTF8 { bytes in
            guard bytes.first == UInt8(ascii: "-") else { return false }
            for byte in bytes {
                if byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") { break }
                if byte >= UInt8(ascii: "1") && byte <= UInt8(ascii: "9") { return true }
            }
            return false
        }
    }

    /// True for any spelling of zero (`0`, `0.000`, `-0`, `0e7`): no digit of the mantissa is
    /// other than 0.
    public var isZero: Bool {
        withUTF8 { bytes in
            for byte in bytes {
                if byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") { break }
                if byte >= UInt8(ascii: "1") && byte <= UInt8(ascii: "9") { return false }
            }
            return true
        }
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

/// Up to 30 bytes of text in four words: the bytes, zero-padded, and their count in the last
/// byte (zero padding makes equal texts equal words).
private struct InlineText: Hashable, Sendable {
    private var first: UInt64 = 0
    private var second: UInt64 = 0
    private var third: UInt64 = 0
    private var fourth: UInt64 = 0

    static let capacity = 30

    init?(_ utf8: UnsafeRawBufferPointer) {
        guard utf8.count <= Self.capacity else { return nil }
        withUnsafeMutableBytes(of: &self) { words in
            // Four UInt64 fields lie in 32 contiguous bytes (the count goes in the last one).
            precondition(words.count == 32, "InlineText is not 32 bytes")
            words.copyMemory(from: utf8)
            words[31] = UInt8(utf8.count)
        }
    }

    func withUTF8<Result>(_ body: (UnsafeBufferPointer<UInt8>) throws -> Result) rethrows -> Result {
        var copy = self
        return try withUnsafeBytes(of: &copy) { words in
            let count = Int(words[31])
            return try words.withMemoryRebound(to: UInt8.self) { try body(UnsafeBufferPointer(rebasing: $0[0..<count])) }
        }
    }
}
