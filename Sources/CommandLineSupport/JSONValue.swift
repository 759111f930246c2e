import FoundationEssentials

/// A JSON value for the commands' `--json` output: keys always present, `null` when empty,
/// printed with sorted keys on one line. (Encodable structs would need a `nil` encoded
/// explicitly for every optional key; Foundation's `JSONSerialization` is not loaded, see
/// README, "Memory".)
public enum JSONValue: Encodable, Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int64)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// The number, or null.
    public static func number(_ value: (some BinaryInteger)?) -> JSONValue { value.map { .int(Int64($0)) } ?? .null }

    /// The text, or null.
    public static func text(_ value: String?) -> JSONValue { value.map { .string($0) } ?? .null }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .null:
            var container = encoder.singleValueContainer()
            try container.encodeNil()
        case .bool(let value):
            var container = encoder.singleValueContainer()
            try container.encode(value)
        case .int(let value):
            var container = encoder.singleValueContainer()
            try container.encode(value)
        case .string(let value):
            var container = encoder.singleValueContainer()
            try container.encode(value)
        case .array(let values):
            var container = encoder.unkeyedContainer()
            for value in values { try container.encode(value) }
        case .object(let members):
            var container = encoder.container(keyedBy: Key.self)
            for (name, value) in members { try container.encode(value, forKey: Key(stringValue: name)) }
        }
    }

    /// One line of JSON, keys sorted, slashes as they are.
    public func rendered() throws -> String {
        String(decoding: try Self.lineEncoder.encode(self), as: UTF8.self)
    }

    /// How liqsync writes JSON, in `--json` output and JSON logs alike: one line, keys sorted
    /// (stable for scripts and diffs), slashes as they are.
    static let lineEncoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    private struct Key: CodingKey {
        let stringValue: String
        init(stringValue: String) { self.stringValue = stringValue }
        var intValue: Int? { nil }
        init?(intValue: Int) { nil }
    }
}
