extension StringProtocol {
    /// The text without whitespace (newlines included) at either end: libpq ends its messages
    /// with a newline. (Foundation's `trimmingCharacters(in:)` is not loaded; see README, "Memory".)
    func trimmingWhitespace() -> String {
        var text = self[...]
        while let first = text.first, first.isWhitespace { text = text.dropFirst() }
        while let last = text.last, last.isWhitespace { text = text.dropLast() }
        return String(text)
    }
}
