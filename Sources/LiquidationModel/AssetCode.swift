/// A Kaiko base-asset code as tracked by liqsync, e.g. `btc`, `eth`, `1000pepe`.
///
/// Lowercase ASCII letters, digits, `_`, `-` and `.`, 1 to 32 characters. The code goes into a
/// URL path, so anything else is refused before it gets there.
public struct AssetCode: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let rawValue: String

    public static let maximumLength = 32

    public init(validating text: String) throws(AssetCodeError) {
        guard !text.isEmpty else { throw .empty }
        guard text.utf8.count <= Self.maximumLength else { throw .tooLong(text) }
        for scalar in text.unicodeScalars {
            switch scalar {
            case "a"..."z", "0"..."9", "_", "-", ".": continue
            case "A"..."Z": throw .uppercase(text)
            default: throw .invalidCharacter(text, scalar)
            }
        }
        rawValue = text
    }

    public var description: String { rawValue }

    public static func < (lhs: AssetCode, rhs: AssetCode) -> Bool { lhs.rawValue < rhs.rawValue }
}

public enum AssetCodeError: Error, Sendable, Equatable, CustomStringConvertible {
    case empty
    case tooLong(String)
    case uppercase(String)
    case invalidCharacter(String, Unicode.Scalar)

    public var description: String {
        switch self {
        case .empty:
            return "an asset code cannot be empty"
        case .tooLong(let text):
            return "asset code '\(text.prefix(40))…' is longer than \(AssetCode.maximumLength) characters"
        case .uppercase(let text):
            return "asset code '\(text)' must be lowercase (did you mean '\(text.lowercased())'?)"
        case .invalidCharacter(let text, let scalar):
            let shown = scalar.properties.isWhitespace || scalar.value < 32
                ? "U+\(String(scalar.value, radix: 16, uppercase: true))" : "'\(scalar)'"
            return "asset code '\(text)' contains \(shown); use lowercase letters, digits, '_', '-' or '.'"
        }
    }
}
