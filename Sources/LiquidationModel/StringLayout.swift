// Foundation's `trimmingCharacters(in:)` and `padding(toLength:withPad:startingAt:)` would do,
// but they live in the full Foundation, which liqsync does not load (README, "Memory").
extension StringProtocol {
    /// The text without the whitespace (newlines included) at either end.
    package func trimmingWhitespace() -> String {
        var text = self[...]
        while let first = text.first, first.isWhitespace { text = text.dropFirst() }
        while let last = text.last, last.isWhitespace { text = text.dropLast() }
        return String(text)
    }

    /// The text followed by spaces up to `width` characters (never cut): a left-aligned column.
    package func padded(toWidth width: Int) -> String {
        String(self) + String(repeating: " ", count: Swift.max(0, width - count))
    }

    /// Spaces and then the text, up to `width` characters (never cut): a right-aligned column.
    package func padded(toWidthFromLeft width: Int) -> String {
        String(repeating: " ", count: Swift.max(0, width - count)) + String(self)
    }
}
