import CLibPQ
import Foundation

/// Removes passwords from text that is about to reach a log line or an error message.
///
/// libpq's messages do not normally include the password, but a malformed conninfo can make it
/// quote a fragment of the string, and URLs carry the password inline. So every place that can
/// hold a password (the URL's user info, a `password=` value, `PGPASSWORD`) is collected, and
/// each occurrence of one of them in the text is masked.
struct PasswordRedactor {
    private(set) var secrets: [String] = []

    init(connectionString: String?, environment: [String: String] = ProcessInfo.processInfo.environment) {
        if let password = environment["PGPASSWORD"], !password.isEmpty { secrets.append(password) }
        guard let connectionString else { return }
        secrets += Self.passwordsParsedByLibpq(connectionString)
        secrets += Self.passwordsByPattern(connectionString)
        // Longest first, so a secret that contains another is masked whole.
        secrets = Array(Set(secrets.filter { !$0.isEmpty })).sorted { $0.count > $1.count }
    }

    func redact(_ text: String) -> String {
        var redacted = text
        for secret in secrets {
            redacted = redacted.replacingOccurrences(of: secret, with: "****")
        }
        return redacted
    }

    /// What libpq itself would use as the password, when it can parse the string.
    private static func passwordsParsedByLibpq(_ connectionString: String) -> [String] {
        var errorMessage: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(connectionString, &errorMessage) else {
            if let errorMessage { PQfreemem(errorMessage) }
            return []
        }
        defer { PQconninfoFree(options) }
        var found: [String] = []
        var option = options
        while let keyword = option.pointee.keyword {
            if String(cString: keyword) == "password", let value = option.pointee.val {
                found.append(String(cString: value))
            }
            option += 1
        }
        return found
    }

    /// Best-effort extraction that also works on strings libpq cannot parse: the text between
    /// `scheme://user:` and `@`, and the value after `password=` (quoted or not), raw and
    /// percent-decoded.
    private static func passwordsByPattern(_ text: String) -> [String] {
        var found: [String] = []
        if let schemeEnd = text.range(of: "://") {
            let rest = text[schemeEnd.upperBound...]
            let authority = rest.prefix { $0 != "/" && $0 != "?" }
            if let at = authority.lastIndex(of: "@") {
                let userInfo = authority[..<at]
                if let colon = userInfo.firstIndex(of: ":") {
                    let password = String(userInfo[userInfo.index(after: colon)...])
                    found.append(password)
                    if let decoded = password.removingPercentEncoding { found.append(decoded) }
                }
            }
        }
        var searchStart = text.startIndex
        while let match = text.range(of: "password", options: .caseInsensitive, range: searchStart..<text.endIndex) {
            searchStart = match.upperBound
            var index = match.upperBound
            while index < text.endIndex, text[index] == " " { index = text.index(after: index) }
            guard index < text.endIndex, text[index] == "=" else { continue }
            index = text.index(after: index)
            while index < text.endIndex, text[index] == " " { index = text.index(after: index) }
            let value: Substring
            if index < text.endIndex, text[index] == "'" {
                let start = text.index(after: index)
                value = text[start...].prefix { $0 != "'" }
            } else {
                value = text[index...].prefix { $0 != " " && $0 != "&" }
            }
            found.append(String(value))
            if let decoded = String(value).removingPercentEncoding { found.append(decoded) }
        }
        return found
    }
}
