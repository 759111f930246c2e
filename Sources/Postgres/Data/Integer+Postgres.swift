extension Int64: PostgresEncodable, PostgresNonNullDecodable {
    public var postgresText: String? { String(self) }
    public init?(nonNullPostgresText text: String) { self.init(text) }

    /// The decimal digits, written straight into the COPY buffer (nothing to escape).
    public func appendCopyField(to buffer: inout [UInt8]) {
        if self < 0 { buffer.append(UInt8(ascii: "-")) }
        var rest = magnitude
        guard rest >= 10 else {
            buffer.append(UInt8(ascii: "0") + UInt8(rest))
            return
        }
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes: UInt64.max has 20 digits
        withUnsafeMutableBytes(of: &digits) { bytes in
            var position = bytes.count
            while rest > 0 {
                position -= 1
                bytes[position] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
            }
            buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[position...]))
        }
    }
}

extension Int32: PostgresEncodable, PostgresNonNullDecodable {
    public var postgresText: String? { String(self) }
    public init?(nonNullPostgresText text: String) { self.init(text) }
}

extension Int16: PostgresEncodable, PostgresNonNullDecodable {
    public var postgresText: String? { String(self) }
    public init?(nonNullPostgresText text: String) { self.init(text) }
}

extension Int: PostgresEncodable, PostgresNonNullDecodable {
    public var postgresText: String? { String(self) }
    public init?(nonNullPostgresText text: String) { self.init(text) }
}
