import LiquidationModel

/// The Kaiko API key. Its `description` and `debugDescription` are masked, so the key cannot
/// reach a log line, an error message or a crash report by being printed; the only way to read
/// it is `revealedForRequestHeader`, used in one place, when the `X-Api-Key` header is built.
public struct APIKey: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    private let value: String

    public init?(_ value: String) {
        let trimmed = value.trimmingWhitespace()
        guard !trimmed.isEmpty, !trimmed.contains(where: { $0.isNewline || $0 == "\r" }) else { return nil }
        self.value = trimmed
    }

    public var revealedForRequestHeader: String { value }
    public var description: String { "****" }
    public var debugDescription: String { "APIKey(****)" }
}
