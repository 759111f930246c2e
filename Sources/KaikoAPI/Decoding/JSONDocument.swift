#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A parsed JSON document: the bytes it was parsed from and a flat tape with one entry per
/// value, each naming its kind and its bytes. Numbers keep their source text.
///
/// Why not `JSONDecoder`: it offers a number only as a binary value, so an exact amount had to
/// go through `Decimal` (38 significant digits at most) and back to text. Why a tape rather
/// than a tree of values: a page holds some 6,000 objects and 40,000 numbers; a tree allocated
/// each of them (and each amount's text) and took a third of liqsync's CPU time in the bench
/// backfill. Here parsing appends to one array, and text is made only for what the reader asks
/// for.
///
/// The whole document is checked against RFC 8259 before anything reads it (`parse` throws
/// `JSONSyntaxError` for a truncated or malformed body), so a page is judged as a whole.
/// A document is only valid while the bytes it was parsed from are.
struct JSONDocument {
    enum Kind: UInt8 {
        case object, array, string, number, `true`, `false`, null
    }

    /// Twelve bytes: a page's tape holds about one entry per eleven bytes of JSON.
    struct Entry {
        /// The value's bytes (a string's without its quotes).
        var start: UInt32
        var end: UInt32
        /// `next` in the low 28 bits, the kind in the next three, `plain` in the top one.
        private var packed: UInt32

        init(kind: Kind, plain: Bool, start: UInt32, end: UInt32, next: UInt32) {
            self.start = start
            self.end = end
            packed = next | UInt32(kind.rawValue) << 28 | (plain ? 1 << 31 : 0)
        }

        var kind: Kind { Kind(rawValue: UInt8(truncatingIfNeeded: packed >> 28) & 0x7)! }
        /// For a string: it holds no escape and no byte above 0x7F, so its bytes are its text.
        var plain: Bool { packed >> 31 == 1 }
        /// The tape index just after this value (and everything inside it).
        var next: UInt32 {
            get { packed & Self.nextMask }
            set { packed = packed & ~Self.nextMask | newValue }
        }

        static let nextMask: UInt32 = 0x0FFF_FFFF
    }

    let bytes: UnsafeRawBufferPointer
    let tape: [Entry]

    var root: JSONNode { JSONNode(document: self, index: 0) }

    static func parse(_ bytes: UnsafeRawBufferPointer) throws(JSONSyntaxError) -> JSONDocument {
        // Every value takes at least a byte, so a tape index fits `next`'s 28 bits.
        guard bytes.count <= Int(Entry.nextMask) else { throw JSONSyntaxError(offset: 0, reason: "document too large") }
        var parser = JSONTapeParser(bytes: bytes)
        try parser.value()
        parser.skipWhitespace()
        guard parser.index == bytes.count else { throw parser.error("unexpected content after the document") }
        return JSONDocument(bytes: bytes, tape: parser.tape)
    }

    /// The text of the string at `entry` (escapes resolved; validated when parsed).
    fileprivate func text(of entry: Entry) -> String {
        let slice = UnsafeRawBufferPointer(rebasing: bytes[Int(entry.start)..<Int(entry.end)])
        if entry.plain { return String(decoding: slice, as: UTF8.self) }
        return String(decoding: JSONTapeParser.unescaped(slice), as: UTF8.self)
    }

    fileprivate func sourceText(of entry: Entry) -> String {
        String(decoding: UnsafeRawBufferPointer(rebasing: bytes[Int(entry.start)..<Int(entry.end)]), as: UTF8.self)
    }
}

/// One value of a `JSONDocument`.
struct JSONNode {
    let document: JSONDocument
    let index: Int

    private var entry: JSONDocument.Entry { document.tape[index] }

    var kind: String {
        switch entry.kind {
        case .object: "an object"
        case .array: "an array"
        case .string: "a string"
        case .number: "a number"
        case .true, .false: "a boolean"
        case .null: "null"
        }
    }

    var isObject: Bool { entry.kind == .object }
    var isArray: Bool { entry.kind == .array }
    var isNull: Bool { entry.kind == .null }

    /// The member `key` of an object, the last one if it repeats (objects here have a dozen
    /// keys: a scan beats hashing).
    subscript(key: StaticString) -> JSONNode? {
        var position = -1
        forEachMember { name, valuePosition in
            if name.is(key) { position = valuePosition }
        }
        return node(at: position)
    }

    /// Calls `body` with each member's name and the tape position of its value, in order: one
    /// pass over the object's members, however many names the caller looks for (a record looks
    /// for ten). Nothing for anything but an object.
    func forEachMember(_ body: (MemberName, Int) -> Void) {
        let object = entry
        guard object.kind == .object else { return }
        var keyIndex = index + 1
        while keyIndex < Int(object.next) {
            body(MemberName(node: self, entry: document.tape[keyIndex]), keyIndex + 1)
            keyIndex = Int(document.tape[keyIndex + 1].next)
        }
    }

    /// A member's name, compared with the names a decoder looks for without making a string.
    struct MemberName {
        fileprivate let node: JSONNode
        fileprivate let entry: JSONDocument.Entry

        func `is`(_ key: StaticString) -> Bool { node.matches(entry, key) }
    }

    /// The node at a tape position `forEachMember` gave (nil for -1).
    func node(at position: Int) -> JSONNode? {
        position < 0 ? nil : JSONNode(document: document, index: position)
    }

    /// Whether a member name is `key` (names are literals here: compared byte for byte, or as
    /// text when the name in the document holds escapes or non-ASCII bytes).
    fileprivate func matches(_ keyEntry: JSONDocument.Entry, _ key: StaticString) -> Bool {
        let length = Int(keyEntry.end - keyEntry.start)
        guard keyEntry.plain else {
            return document.text(of: keyEntry) == key.withUTF8Buffer { String(decoding: $0, as: UTF8.self) }
        }
        guard length == key.utf8CodeUnitCount else { return false }
        return memcmp(document.bytes.baseAddress! + Int(keyEntry.start), key.utf8Start, length) == 0
    }

    /// The elements of an array, in order (nil for anything else).
    var elements: [JSONNode]? {
        let array = entry
        guard array.kind == .array else { return nil }
        var nodes: [JSONNode] = []
        var elementIndex = index + 1
        while elementIndex < Int(array.next) {
            nodes.append(JSONNode(document: document, index: elementIndex))
            elementIndex = Int(document.tape[elementIndex].next)
        }
        return nodes
    }

    /// A string's text (nil for anything else).
    var string: String? {
        let value = entry
        return value.kind == .string ? document.text(of: value) : nil
    }

    /// The bytes of a number, or of a string that holds no escape and no byte above 0x7F: its
    /// text as it is, read in place (valid while the document is). Nil for anything else.
    var plainBytes: UnsafeRawBufferPointer? {
        let value = entry
        guard value.kind == .number || (value.kind == .string && value.plain) else { return nil }
        return UnsafeRawBufferPointer(rebasing: document.bytes[Int(value.start)..<Int(value.end)])
    }

    /// A number's text as it appeared (`474520.3599480028`, `0`, `1e-7`), or a string's text.
    var numberOrStringText: String? {
        let value = entry
        switch value.kind {
        case .number: return document.sourceText(of: value)
        case .string: return document.text(of: value)
        default: return nil
        }
    }
}

/// Bytes that are not one well-formed JSON value (RFC 8259): what a truncated transfer
/// looks like.
struct JSONSyntaxError: Error, CustomStringConvertible {
    let offset: Int
    let reason: String
    var description: String { "\(reason) at byte \(offset)" }
}

/// A single-pass parser over UTF-8 bytes that writes the tape.
private struct JSONTapeParser {
    let bytes: UnsafeRawBufferPointer
    var index = 0
    var depth = 0
    var tape: [JSONDocument.Entry] = []
    /// Nesting deeper than this is refused rather than risking the stack.
    static let maximumDepth = 64

    init(bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
        // About one value per 11 bytes in a liquidation page (FakeKaiko's, modelled on the
        // reference): one allocation for most pages; a denser one grows once.
        tape.reserveCapacity(bytes.count / 10 + 4)
    }

    func error(_ reason: String) -> JSONSyntaxError { JSONSyntaxError(offset: index, reason: reason) }

    mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x0A, 0x0D, 0x09: index += 1
            default: return
            }
        }
    }

    /// Appends an entry; containers and their `next` are completed by `close`.
    private mutating func append(_ kind: JSONDocument.Kind, plain: Bool = false, _ range: Range<Int>) {
        tape.append(JSONDocument.Entry(
            kind: kind, plain: plain, start: UInt32(range.lowerBound), end: UInt32(range.upperBound),
            next: UInt32(tape.count + 1)))
    }

    private mutating func close(_ container: Int) {
        tape[container].end = UInt32(index)
        tape[container].next = UInt32(tape.count)
    }

    mutating func value() throws(JSONSyntaxError) {
        skipWhitespace()
        guard index < bytes.count else { throw error("unexpected end of input") }
        switch bytes[index] {
        case UInt8(ascii: "{"): try container(.object)
        case UInt8(ascii: "["): try container(.array)
        case UInt8(ascii: "\""): try string()
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): try number()
        case UInt8(ascii: "t"): try literal("true", .true)
        case UInt8(ascii: "f"): try literal("false", .false)
        case UInt8(ascii: "n"): try literal("null", .null)
        default: throw error("unexpected character")
        }
    }

    private mutating func nest() throws(JSONSyntaxError) {
        depth += 1
        guard depth <= Self.maximumDepth else { throw error("nesting deeper than \(Self.maximumDepth)") }
        index += 1
    }

    /// An object (members: a name, ':' and a value each) or an array (values), through its
    /// closing bracket; `close` then records where it ends.
    private mutating func container(_ kind: JSONDocument.Kind) throws(JSONSyntaxError) {
        let closing = kind == .object ? UInt8(ascii: "}") : UInt8(ascii: "]")
        let container = tape.count
        append(kind, index..<index)
        try nest()
        skipWhitespace()
        if index < bytes.count, bytes[index] == closing {
            index += 1
            depth -= 1
            close(container)
            return
        }
        while true {
            if kind == .object {
                skipWhitespace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw error("expected a member name") }
                try string()
                skipWhitespace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw error("expected ':'") }
                index += 1
            }
            try value()
            skipWhitespace()
            guard index < bytes.count else { throw error("unexpected end of input") }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
            } else if bytes[index] == closing {
                index += 1
                depth -= 1
                close(container)
                return
            } else {
                throw error(kind == .object ? "expected ',' or '}'" : "expected ',' or ']'")
            }
        }
    }

    private mutating func literal(_ word: StaticString, _ kind: JSONDocument.Kind) throws(JSONSyntaxError) {
        let length = word.utf8CodeUnitCount
        guard index + length <= bytes.count else { throw error("unexpected end of input") }
        for offset in 0..<length where bytes[index + offset] != word.utf8Start[offset] {
            throw error("unexpected character")
        }
        append(kind, index..<index + length)
        index += length
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`
    private mutating func number() throws(JSONSyntaxError) {
        let start = index
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard index < bytes.count, isDigit(bytes[index]) else { throw error("expected a digit") }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
        } else {
            skipDigits()
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard index < bytes.count, isDigit(bytes[index]) else { throw error("expected a digit after '.'") }
            skipDigits()
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard index < bytes.count, isDigit(bytes[index]) else { throw error("expected an exponent") }
            skipDigits()
        }
        append(.number, start..<index)
    }

    private func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    private mutating func skipDigits() {
        while index < bytes.count, isDigit(bytes[index]) { index += 1 }
    }

    /// Checks a string (escapes, UTF-8, no control characters) and records its bytes.
    private mutating func string() throws(JSONSyntaxError) {
        index += 1  // the opening quote
        let start = index
        var plain = true
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                let range = start..<index
                if !plain { try checkText(range) }
                append(.string, plain: plain, range)
                index += 1
                return
            case UInt8(ascii: "\\"):
                plain = false
                index += 1
                guard index < bytes.count else { throw error("unterminated string") }
                let escaped = bytes[index]
                index += 1
                switch escaped {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                     UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    break
                case UInt8(ascii: "u"): _ = try unicodeEscape()
                default: throw error("invalid escape")
                }
            default:
                guard byte >= 0x20 else { throw error("control character in a string") }
                if byte >= 0x80 { plain = false }
                index += 1
            }
        }
        throw error("unterminated string")
    }

    /// A string with escapes or non-ASCII bytes must be valid UTF-8 once its escapes are resolved.
    private func checkText(_ range: Range<Int>) throws(JSONSyntaxError) {
        let text = Self.unescaped(UnsafeRawBufferPointer(rebasing: bytes[range]))
        guard String(validating: text, as: UTF8.self) != nil else {
            throw JSONSyntaxError(offset: range.upperBound, reason: "invalid UTF-8 in a string")
        }
    }

    /// The UTF-8 of a string's source bytes with escapes resolved; only for strings `string()`
    /// accepted (escapes well formed, surrogates paired).
    static func unescaped(_ source: UnsafeRawBufferPointer) -> [UInt8] {
        var parser = JSONTapeParser(bytes: source)
        var utf8: [UInt8] = []
        utf8.reserveCapacity(source.count)
        while parser.index < source.count {
            let byte = source[parser.index]
            parser.index += 1
            guard byte == UInt8(ascii: "\\"), parser.index < source.count else {
                utf8.append(byte)
                continue
            }
            let escaped = source[parser.index]
            parser.index += 1
            switch escaped {
            case UInt8(ascii: "b"): utf8.append(0x08)
            case UInt8(ascii: "f"): utf8.append(0x0C)
            case UInt8(ascii: "n"): utf8.append(0x0A)
            case UInt8(ascii: "r"): utf8.append(0x0D)
            case UInt8(ascii: "t"): utf8.append(0x09)
            case UInt8(ascii: "u"): utf8.append(contentsOf: (try? parser.unicodeEscape()) ?? [])
            default: utf8.append(escaped)
            }
        }
        return utf8
    }

    /// After `\u`: four hex digits, and a second escape for a surrogate pair.
    private mutating func unicodeEscape() throws(JSONSyntaxError) -> [UInt8] {
        var scalar = try hexQuad()
        if (0xD800..<0xDC00).contains(scalar) {
            guard index + 2 <= bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u")
            else { throw error("lone surrogate") }
            index += 2
            let low = try hexQuad()
            guard (0xDC00..<0xE000).contains(low) else { throw error("invalid surrogate pair") }
            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
        }
        guard let unicode = Unicode.Scalar(scalar) else { throw error("invalid unicode escape") }
        return Array(String(Character(unicode)).utf8)
    }

    private mutating func hexQuad() throws(JSONSyntaxError) -> UInt32 {
        guard index + 4 <= bytes.count else { throw error("unexpected end of input") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
            default: throw error("invalid unicode escape")
            }
            value = value * 16 + digit
            index += 1
        }
        return value
    }
}
