/// Text made one line: what libpq (`server closed the connection unexpectedly` + a tab-indented
/// second line) or anything else says over several lines would otherwise split a log record, a
/// message on stderr or a table row. Each line break, with the indentation after it, becomes one
/// space; other control characters become spaces.
public enum OneLine {
    public static func fold(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else { return text }
        var folded = String.UnicodeScalarView()
        var pendingBreak = false
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n", "\r":
                pendingBreak = true
            case _ where pendingBreak && (scalar == " " || scalar == "\t"):
                continue
            default:
                if pendingBreak {
                    if !folded.isEmpty { folded.append(" ") }
                    pendingBreak = false
                }
                folded.append(scalar.value < 0x20 || scalar.value == 0x7F ? " " : scalar)
            }
        }
        return String(folded)
    }
}
