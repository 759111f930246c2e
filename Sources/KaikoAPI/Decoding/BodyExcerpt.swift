/// The start of a response body, fit for one line of an error message: what an operator needs
/// to recognise a proxy's page or a gateway's JSON, and nothing that could break a log line.
enum BodyExcerpt {
    /// At most `limit` characters of the body, control characters and runs of whitespace shown
    /// as one space, with the body's size when it was cut: `{"message":"upstream timeout"}` or
    /// `<html><head><title>502 Bad Gateway… (1532 bytes)`. `secret` (the API key), should a
    /// gateway echo it back, is masked.
    static func of(_ bytes: UnsafeRawBufferPointer, limit: Int = 120, masking secret: String? = nil) -> String {
        guard !bytes.isEmpty else { return "an empty body" }
        // Sanitise more than will be shown, so the secret is masked whole before the text is cut.
        let window = UnsafeRawBufferPointer(rebasing: bytes[..<min(bytes.count, limit * 4 + 256)])
        var text = ""
        var lastWasSpace = false
        for scalar in String(decoding: window, as: UTF8.self).unicodeScalars {
            let isSpace = scalar.properties.isWhitespace || scalar.value < 0x20 || scalar.value == 0x7F
            if isSpace && lastWasSpace { continue }
            text.unicodeScalars.append(isSpace ? " " : scalar)
            lastWasSpace = isSpace
        }
        if let secret, !secret.isEmpty { text = text.replacing(secret, with: "****") }
        guard text.count > limit || window.count < bytes.count else { return text }
        return "\(text.prefix(limit))… (\(bytes.count) bytes)"
    }
}
