/// An exact decimal number kept as its text, for `numeric` columns.
///
/// USD amounts must print back as the same decimal the API sent, so they never pass through
/// binary floating point: the text is validated (optional sign, digits, optional fraction,
/// optional exponent) and handed to PostgreSQL unchanged, which parses it exactly.
public struct PostgresNumeric: Hashable, Sendable, CustomStringConvertible, PostgresEncodable,
    PostgresNonNullDecodable
{
    /// The decimal text, e.g. `4493384.579834212` or `0`.
    public let text: String

    /// Accepts a JSON-style decimal literal; returns nil for anything else (no NaN, no spaces).
    public init?(_ text: String) {
        guard Self.isDecimalLiteral(text[...]) else { return nil }
        self.text = text
    }

    public init?(nonNullPostgresText text: String) {
        self.init(text)
    }

    public static let zero = PostgresNumeric(unchecked: "0")

    init(unchecked text: String) { self.text = text }

    public var postgresText: String? { text }
    public var description: String { text }

    /// Whether the value is negative (a leading minus on a non-zero mantissa).
    public var isNegative: Bool {
        guard text.first == "-" else { return false }
        let mantissa = text.prefix { $0 != "e" && $0 != "E" }
        return mantissa.contains { $0 >= "1" && $0 <= "9" }
    }

    /// `-?digits(.digits)?([eE][+-]?digits)?`, the JSON number grammar without its leading-zero
    /// rule (PostgreSQL's own output may be `0.5`, and `00.5` is harmless).
    static func isDecimalLiteral(_ text: Substring) -> Bool {
        var index = text.startIndex
        let end = text.endIndex
        func digits() -> Int {
            var count = 0
            while index < end, let ascii = text[index].asciiValue, ascii >= 48, ascii <= 57 {
                index = text.index(after: index)
                count += 1
            }
            return count
        }
        if index < end, text[index] == "-" || text[index] == "+" { index = text.index(after: index) }
        let integerDigits = digits()
        var fractionDigits = 0
        if index < end, text[index] == "." {
            index = text.index(after: index)
            fractionDigits = digits()
        }
        guard integerDigits + fractionDigits > 0 else { return false }
        if index < end, text[index] == "e" || text[index] == "E" {
            index = text.index(after: index)
            if index < end, text[index] == "-" || text[index] == "+" { index = text.index(after: index) }
            guard digits() > 0 else { return false }
        }
        return index == end
    }
}
