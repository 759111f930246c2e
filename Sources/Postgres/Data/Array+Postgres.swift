/// Arrays travel as PostgreSQL array literals (`{"a","b",NULL}`), which lets one statement
/// carry many rows: `INSERT ... SELECT * FROM unnest($1::text[], $2::bigint[])`.
extension Array: PostgresEncodable where Element: PostgresEncodable {
    public var postgresText: String? {
        var literal = "{"
        for (index, element) in enumerated() {
            if index > 0 { literal += "," }
            guard let text = element.postgresText else {
                literal += "NULL"
                continue
            }
            literal += "\""
            for character in text.unicodeScalars {
                if character == "\"" || character == "\\" { literal += "\\" }
                literal.unicodeScalars.append(character)
            }
            literal += "\""
        }
        return literal + "}"
    }
}
