import CLibPQ

/// A connection string as libpq will read it, looked at before libpq is given it: whether it
/// means what it says, and which parts of it are secret.
///
/// Two ways a password used to reach the journal:
/// - A URL whose password holds an unencoded `@` or `/` (`postgresql://u:S3cr@tP4ss@host/db`):
///   libpq ends the credentials at the first `@`, takes `tP4ss@host` for the host, and quotes
///   it in "could not translate host name". Such a URL is refused before libpq sees it, with
///   advice to percent-encode, and without echoing any of it.
/// - A conninfo that libpq cannot parse (`password=abc def`): its message quotes a fragment
///   (`missing "=" after "def"`). The message is shown with every quoted fragment masked.
/// Everything libpq says later is masked too (`redact`): the password as libpq parsed it, as
/// written, percent-decoded, and any quoted fragment that shares a run of characters with it.
public struct ConnectionString: Sendable {
    public let text: String
    /// Why the string is refused before connecting (nil: it is fine). Never contains the text.
    public let problem: String?
    /// Every form of the password found in the text, longest first.
    let secrets: [String]

    public init(_ text: String) {
        self.text = text
        let isURL = text.hasPrefix("postgresql://") || text.hasPrefix("postgres://")
        var secrets: [String] = []
        var problem: String?
        if isURL, let ambiguity = Self.urlAmbiguity(text) {
            // Not even parsed: libpq would read a piece of the password as the host.
            problem = ambiguity
        } else {
            switch Self.parseWithLibpq(text) {
            case .success(let options):
                if let password = options["password"] { secrets.append(password) }
            case .failure(let failure):
                problem = "the connection string is not valid (libpq: \(Self.maskingQuotedFragments(failure.message))); "
                    + "a value that contains spaces or quotes goes in single quotes, e.g. password='…'; "
                    + "in a URL, percent-encode such characters"
            }
        }
        // As written, a password is a guess at what a person meant: pieces of one or two
        // characters would mask half of every message and protect nothing.
        secrets += Self.writtenPasswords(text, isURL: isURL).filter { $0.count >= 3 }
        var unique: [String] = []
        for secret in secrets where !secret.isEmpty && !unique.contains(secret) { unique.append(secret) }
        self.secrets = unique.sorted { $0.count > $1.count }
        // Even the advice is masked: a password may be a word it uses.
        self.problem = problem.map { Self.redact($0, secrets: unique) }
    }

    // MARK: - Redaction

    /// `message` with every form of the password masked, and every quoted fragment that shares a
    /// run of characters with one (`"tP4ss@host"` for the password `S3cr@tP4ss`).
    public func redact(_ message: String) -> String {
        Self.redact(message, secrets: secrets)
    }

    static func redact(_ message: String, secrets: [String]) -> String {
        guard !secrets.isEmpty else { return message }
        let characters = Array(message)
        var masked = [Bool](repeating: false, count: characters.count)
        // Quoted fragments that overlap a secret, masked whole.
        for range in quotedRanges(characters) {
            let fragment = String(characters[range])
            if secrets.contains(where: { sharesRun(fragment, $0) }) {
                for index in range { masked[index] = true }
            }
        }
        // Every occurrence of every secret, found in the original text so that masks cannot
        // combine into a new occurrence.
        for secret in secrets {
            let needle = Array(secret)
            guard !needle.isEmpty, needle.count <= characters.count else { continue }
            for start in 0...(characters.count - needle.count) where characters[start] == needle[0] {
                if Array(characters[start..<(start + needle.count)]) == needle {
                    for index in start..<(start + needle.count) { masked[index] = true }
                }
            }
        }
        var result = ""
        var index = 0
        while index < characters.count {
            if masked[index] {
                result += "****"
                while index < characters.count, masked[index] { index += 1 }
            } else {
                result.append(characters[index])
                index += 1
            }
        }
        return result
    }

    /// Whether `fragment` and `secret` share a run of at least min(4, secret length) characters.
    static func sharesRun(_ fragment: String, _ secret: String) -> Bool {
        let run = min(4, secret.count)
        guard run > 0, fragment.count >= run else { return false }
        let secretCharacters = Array(secret)
        for start in 0...(secretCharacters.count - run) where fragment.contains(String(secretCharacters[start..<(start + run)])) {
            return true
        }
        return false
    }

    /// The inside of each "double-quoted" run of `characters` (how libpq and the server quote
    /// values; an apostrophe in English text is not a quote).
    static func quotedRanges(_ characters: [Character]) -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        var open: Int?
        for (index, character) in characters.enumerated() where character == "\"" {
            if let start = open {
                ranges.append((start + 1)..<index)
                open = nil
            } else {
                open = index
            }
        }
        if let open { ranges.append((open + 1)..<characters.count) }
        return ranges
    }

    /// libpq's message with the inside of every quoted fragment masked but for single
    /// punctuation marks (`missing "=" after "…"`). Not even keyword names are kept: a word of
    /// a password with a space in it may well be one (`password=s3cr@t port`).
    static func maskingQuotedFragments(_ message: String) -> String {
        let characters = Array(message)
        var result = ""
        var cursor = 0
        for range in quotedRanges(characters) {
            result += String(characters[cursor..<range.lowerBound])
            let fragment = String(characters[range])
            let harmless = fragment.count == 1 && !(fragment.first!.isLetter || fragment.first!.isNumber)
            result += harmless ? fragment : "…"
            cursor = range.upperBound
        }
        if cursor < characters.count { result += String(characters[cursor...]) }
        return result.trimmingWhitespace()
    }

    // MARK: - Reading the string

    /// Why libpq would read this URL's credentials differently from how it reads to a person.
    ///
    /// libpq takes the credentials to end at the first `@` met before any `/`. If another `@`
    /// follows before the query (or one comes after a `/`), the password holds a character that
    /// needed percent-encoding, and libpq would take a piece of it for the host.
    static func urlAmbiguity(_ text: String) -> String? {
        guard let schemeEnd = text.firstRange(of: "://") else { return nil }
        let rest = text[schemeEnd.upperBound...]
        var credentialsEnd = rest.startIndex
        if let stop = rest.firstIndex(where: { $0 == "@" || $0 == "/" }), rest[stop] == "@" {
            credentialsEnd = rest.index(after: stop)
        }
        let afterCredentials = rest[credentialsEnd...].prefix { $0 != "?" }
        guard afterCredentials.contains("@") else { return nil }
        return "the database URL's user name or password contains a character that must be percent-encoded "
            + "('@' as %40, '/' as %2F, '?' as %3F, ':' in a user name as %3A); the URL is not shown, it holds a password"
    }

    /// libpq's own reading: keyword → value, or its error message.
    static func parseWithLibpq(_ text: String) -> Result<[String: String], ParseFailure> {
        var errorMessage: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(text, &errorMessage) else {
            let message = errorMessage.map { String(cString: $0) } ?? "out of memory"
            if let errorMessage { PQfreemem(errorMessage) }
            return .failure(ParseFailure(message))
        }
        defer { PQconninfoFree(options) }
        var values: [String: String] = [:]
        var option = options
        while let keyword = option.pointee.keyword {
            if let value = option.pointee.val { values[String(cString: keyword)] = String(cString: value) }
            option += 1
        }
        return .success(values)
    }

    struct ParseFailure: Error {
        let message: String
        init(_ message: String) { self.message = message }
    }

    /// The password as a person wrote it, whatever libpq makes of it: in a URL, what lies between
    /// `user:` and the last `@` before the query, raw and percent-decoded, and a `password=`
    /// query parameter; in a conninfo, the value after `password=` up to the next `keyword=`
    /// (quoted or not), and each of its words.
    static func writtenPasswords(_ text: String, isURL: Bool) -> [String] {
        var found: [String] = []
        func add(_ value: Substring) {
            let raw = String(value)
            found.append(raw)
            if let decoded = percentDecoded(raw) { found.append(decoded) }
        }
        if isURL, let schemeEnd = text.firstRange(of: "://") {
            let beforeQuery = text[schemeEnd.upperBound...].prefix { $0 != "?" }
            if let lastAt = beforeQuery.lastIndex(of: "@") {
                let credentials = beforeQuery[..<lastAt]
                if let colon = credentials.firstIndex(of: ":") {
                    add(credentials[credentials.index(after: colon)...])
                }
            }
        }
        var searchFrom = text.startIndex
        while let match = firstCaseInsensitive("password", in: text[searchFrom...]) {
            searchFrom = match.upperBound
            var index = match.upperBound
            while index < text.endIndex, text[index].isWhitespace { index = text.index(after: index) }
            guard index < text.endIndex, text[index] == "=" else { continue }
            index = text.index(after: index)
            while index < text.endIndex, text[index].isWhitespace { index = text.index(after: index) }
            if index < text.endIndex, text[index] == "'" {
                let start = text.index(after: index)
                add(text[start...].prefix { $0 != "'" })
                continue
            }
            // Up to the next `keyword=` or `keyword =` (what a person meant), and each word on its own.
            var value = text[index...].prefix { $0 != "&" }
            if let next = nextKeyword(in: value) { value = value[..<next] }
            let words = value.split(whereSeparator: \.isWhitespace)
            guard let first = words.first, let last = words.last else { continue }
            add(value[first.startIndex..<last.endIndex])
            words.forEach(add)
        }
        return found
    }

    /// Where `word` (lowercase ASCII) first occurs in `text`, in any case.
    static func firstCaseInsensitive(_ word: String, in text: Substring) -> Range<String.Index>? {
        var start = text.startIndex
        while start < text.endIndex {
            var cursor = start
            var matched = true
            for expected in word {
                guard cursor < text.endIndex, text[cursor].lowercased() == String(expected) else {
                    matched = false
                    break
                }
                cursor = text.index(after: cursor)
            }
            if matched { return start..<cursor }
            start = text.index(after: start)
        }
        return nil
    }

    /// Where whitespace before the next `keyword=` (or `keyword =`) starts in `value`.
    static func nextKeyword(in value: Substring) -> String.Index? {
        var start = value.startIndex
        while start < value.endIndex {
            defer { start = value.index(after: start) }
            guard value[start].isWhitespace else { continue }
            var cursor = start
            while cursor < value.endIndex, value[cursor].isWhitespace { cursor = value.index(after: cursor) }
            let name = cursor
            while cursor < value.endIndex, value[cursor].isASCII, value[cursor].isLetter || value[cursor] == "_" {
                cursor = value.index(after: cursor)
            }
            guard cursor > name else { continue }
            while cursor < value.endIndex, value[cursor].isWhitespace { cursor = value.index(after: cursor) }
            if cursor < value.endIndex, value[cursor] == "=" { return start }
        }
        return nil
    }

    /// `text` with its `%XX` escapes decoded; nil when an escape is malformed or the result is
    /// not UTF-8 (as Foundation's `removingPercentEncoding`).
    static func percentDecoded(_ text: String) -> String? {
        var bytes: [UInt8] = []
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
                return nil
            }
            bytes.append(high << 4 | low)
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hexValue(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return digit - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
