/// Arrays travel as PostgreSQL array literals (`{"a","b",NULL}`), which lets one statement
/// carry many rows: `INSERT ... SELECT * FROM unnest($1::text[], $2::bigint[])`.
extension Array: PostgresEncodable where Element: PostgresEncodable {
    public var postgresText: String? {
        // Built as bytes: a statement may carry thousands of elements, and appending to a
        // String one character at a time cost more than the rest of its encoding.
        var literal: [UInt8] = [UInt8(ascii: "{")]
        literal.reserveCapacity(count * 16 + 2)
        for (index, element) in enumerated() {
            if index > 0 { literal.append(UInt8(ascii: ",")) }
            guard var text = element.postgresText else {
                literal.append(contentsOf: "NULL".utf8)
                continue
            }
            literal.append(UInt8(ascii: "\""))
            text.withUTF8 { utf8 in
                for byte in utf8 {
                    if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { literal.append(UInt8(ascii: "\\")) }
                    literal.append(byte)
                }
            }
            literal.append(UInt8(ascii: "\""))
        }
        literal.append(UInt8(ascii: "}"))
        return String(decoding: literal, as: UTF8.self)
    }
}
