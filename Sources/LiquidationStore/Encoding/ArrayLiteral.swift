import LiquidationModel
import Postgres

/// A PostgreSQL array literal (`{1,2.50,-3}`) built from numbers and hours as bytes, for the
/// rollup statements that carry a chunk's sums as arrays: thousands of elements a chunk, where
/// `Array.postgresText` would make a string of each. Elements here need no quoting.
struct ArrayLiteral: PostgresEncodable {
    private var bytes: [UInt8] = [UInt8(ascii: "{")]

    init<Elements: Sequence>(_ elements: Elements, _ append: (Elements.Element, inout [UInt8]) -> Void) {
        bytes.reserveCapacity(elements.underestimatedCount * 12 + 2)
        var first = true
        for element in elements {
            if !first { bytes.append(UInt8(ascii: ",")) }
            first = false
            append(element, &bytes)
        }
        bytes.append(UInt8(ascii: "}"))
    }

    init<Elements: Sequence>(_ elements: Elements) where Elements.Element == FixedPointAmount {
        self.init(elements) { amount, bytes in amount.appendText(to: &bytes) }
    }

    init<Elements: Sequence, Number: FixedWidthInteger>(_ elements: Elements) where Elements.Element == Number {
        self.init(elements) { number, bytes in bytes.append(contentsOf: number.description.utf8) }
    }

    init<Elements: Sequence>(_ elements: Elements) where Elements.Element == UTCHour {
        self.init(elements) { hour, bytes in bytes.append(contentsOf: hour.description.utf8) }
    }

    var postgresText: String? { String(decoding: bytes, as: UTF8.self) }
}
