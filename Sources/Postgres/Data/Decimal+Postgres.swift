import Foundation

/// `Decimal` round-trips `numeric` exactly within its 38 significant digits. Amounts from the
/// API use `PostgresNumeric`, which keeps the decimal text itself and has no digit limit.
extension Decimal: PostgresEncodable, PostgresNonNullDecodable {
    public var postgresText: String? {
        isNaN ? "NaN" : description
    }

    public init?(nonNullPostgresText text: String) {
        if text == "NaN" {
            self = .nan
            return
        }
        guard PostgresNumeric.isDecimalLiteral(text[...]),
              let value = Decimal(string: text, locale: Locale(identifier: "en_US_POSIX"))
        else { return nil }
        self = value
    }
}
