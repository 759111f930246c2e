import Foundation
import Postgres

/// Test fixtures compute expected sums with `Decimal`; as a bind it is its decimal text.
extension Decimal: PostgresEncodable {
    public var postgresText: String? { description }
}
