/// An exact decimal amount in USD, kept as the decimal text the API sent (`474520.3599480028`,
/// `0`). It never passes through binary floating point, so what is stored in PostgreSQL's
/// `numeric` prints as the same number.
public struct DecimalAmount: Hashable, Sendable, CustomStringConvertible {
    /// The decimal text: an optional `-`, digits, an optional fraction, an optional exponent.
    public let text: String

    public init?(_ text: String) {
        guard Self.isDecimalLiteral(text) else { return nil }
        self.text = text
    }

    public static let zero = DecimalAmount(unchecked: "0")

    init(unchecked text: String) { self.text = text }

    public var description: String { text }

    /// True for a value below zero (a `-` before a mantissa that is not all zeros).
    public var isNegative: Bool {
        guard text.utf8.first == UInt8(ascii: "-") else { return false }
        for byte in text.utf8 {
            if byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") { break }
            if byte >= UInt8(ascii: "1") && byte <= UInt8(ascii: "9") { return true }
        }
        return false
    }

    /// True for any spelling of zero (`0`, `0.000`, `-0`, `0e7`): no digit of the mantissa is
    /// other than 0.
    public var isZero: Bool {
        for byte in text.utf8 {
            if byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") { break }
            if byte >= UInt8(ascii: "1") && byte <= UInt8(ascii: "9") { return false }
        }
        return true
    }

    /// JSON's number grammar (leading zeros tolerated): `-?\d+(\.\d+)?([eE][+-]?\d+)?`.
    static func isDecimalLiteral(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { bytes in
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
}
