/// An amount as an exact fixed-point number, `units` × 10^-`scale`, for sums liqsync works out
/// itself. `scale` is the display scale PostgreSQL's `numeric` gives the same literal (the
/// fraction's digits less the exponent, at least 0), and a sum keeps the larger scale of its
/// terms, as `numeric` addition does: so `description` prints a sum exactly as PostgreSQL's
/// `sum` prints it. Where 128 bits do not hold a value or a sum (38 digits), there is no value: the
/// caller leaves that arithmetic to PostgreSQL.
public struct FixedPointAmount: Sendable, Equatable, CustomStringConvertible {
    public private(set) var units: Int128
    public private(set) var scale: Int

    public static let zero = FixedPointAmount(units: 0, scale: 0)

    /// The most decimal places a value may have (10^38 is the largest power of ten in Int128).
    static let maximumScale = 38

    init(units: Int128, scale: Int) {
        self.units = units
        self.scale = scale
    }

    /// A count, at scale 0.
    public init(count: Int64) {
        self.init(units: Int128(count), scale: 0)
    }

    /// The value as a 64-bit count: nil when it has a fraction's scale or does not fit.
    public var count: Int64? {
        scale == 0 ? Int64(exactly: units) : nil
    }

    /// The amount's exact value, or nil if it needs more than 38 digits at its scale.
    public init?(_ amount: DecimalAmount) {
        guard let value = amount.withUTF8({ Self.parse($0) }) else { return nil }
        self = value
    }

    /// `-?digits(.digits)?([eE][+-]?digits)?`, as `DecimalAmount` has checked it.
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> FixedPointAmount? {
        var index = 0
        let negative = bytes.first == UInt8(ascii: "-")
        if negative { index = 1 }
        // Digits gather in 64 bits while 18 of them fit (the amounts in Kaiko's examples have
        // 10 to 17), in 128 bits after.
        var small: UInt64 = 0
        var smallDigits = 0
        var large: Int128? = nil
        var fractionDigits = 0
        var inFraction = false
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: ".") {
                inFraction = true
            } else if byte &- UInt8(ascii: "0") < 10 {
                let digit = byte &- UInt8(ascii: "0")
                if let wide = large {
                    let (times10, overflow) = wide.multipliedReportingOverflow(by: 10)
                    let (next, carry) = times10.addingReportingOverflow(Int128(digit))
                    guard !overflow && !carry else { return nil }
                    large = next
                } else if smallDigits < 18 {
                    small = small &* 10 &+ UInt64(digit)
                    if small > 0 { smallDigits += 1 }
                } else {
                    large = Int128(small) * 10 + Int128(digit)
                }
                if inFraction { fractionDigits += 1 }
            } else {
                break  // the exponent
            }
            index += 1
        }
        var units = large ?? Int128(small)
        var exponent = 0
        if index < bytes.count {
            index += 1  // e or E
            var exponentNegative = false
            if index < bytes.count, bytes[index] == UInt8(ascii: "-") || bytes[index] == UInt8(ascii: "+") {
                exponentNegative = bytes[index] == UInt8(ascii: "-")
                index += 1
            }
            while index < bytes.count {
                exponent = exponent * 10 + Int(bytes[index] - UInt8(ascii: "0"))
                guard exponent <= 1000 else { return nil }
                index += 1
            }
            if exponentNegative { exponent = -exponent }
        }
        if negative { units = -units }
        let scale = fractionDigits - exponent
        if scale >= 0 {
            guard scale <= maximumScale else { return nil }
            return FixedPointAmount(units: units, scale: scale)
        }
        guard let scaled = rescaled(units, by: -scale) else { return nil }
        return FixedPointAmount(units: scaled, scale: 0)
    }

    /// Adds `other`; false (and `self` unchanged) where the sum needs more than 38 digits.
    public mutating func add(_ other: FixedPointAmount) -> Bool {
        let scale = max(self.scale, other.scale)
        guard let mine = Self.rescaled(units, by: scale - self.scale),
              let theirs = Self.rescaled(other.units, by: scale - other.scale)
        else { return false }
        let (sum, overflow) = mine.addingReportingOverflow(theirs)
        guard !overflow else { return false }
        units = sum
        self.scale = scale
        return true
    }

    /// Compares the values (`1.50` equals `1.5`); nil where aligning the scales overflows.
    public static func compare(_ a: FixedPointAmount, _ b: FixedPointAmount) -> Int? {
        let scale = max(a.scale, b.scale)
        guard let left = rescaled(a.units, by: scale - a.scale), let right = rescaled(b.units, by: scale - b.scale) else {
            return nil
        }
        return left < right ? -1 : (left == right ? 0 : 1)
    }

    /// `units` with `scale` decimal places: `-12.3400` for units -123400 at scale 4.
    public var description: String {
        var bytes: [UInt8] = []
        appendText(to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends `description`'s UTF-8 bytes.
    public func appendText(to bytes: inout [UInt8]) {
        if units < 0 { bytes.append(UInt8(ascii: "-")) }
        // The digits, least significant first, at least scale + 1 of them.
        var digits: (UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0)  // 40 bytes
        let count = withUnsafeMutableBytes(of: &digits) { buffer -> Int in
            var count = 0
            var magnitude = units.magnitude
            while magnitude > UInt128(UInt64.max) {
                let (quotient, remainder) = magnitude.quotientAndRemainder(dividingBy: 10)
                buffer[count] = UInt8(remainder) + UInt8(ascii: "0")
                count += 1
                magnitude = quotient
            }
            var small = UInt64(magnitude)
            repeat {
                buffer[count] = UInt8(small % 10) + UInt8(ascii: "0")
                count += 1
                small /= 10
            } while small > 0
            while count <= scale {
                buffer[count] = UInt8(ascii: "0")
                count += 1
            }
            return count
        }
        withUnsafeBytes(of: &digits) { buffer in
            for position in stride(from: count - 1, through: 0, by: -1) {
                if position == scale - 1 { bytes.append(UInt8(ascii: ".")) }
                bytes.append(buffer[position])
            }
        }
    }

    private static let powersOfTen: [Int128] = {
        var powers: [Int128] = [1]
        for _ in 1...maximumScale { powers.append(powers[powers.count - 1] * 10) }
        return powers
    }()

    private static func rescaled(_ units: Int128, by places: Int) -> Int128? {
        guard places > 0 else { return units }
        guard places <= maximumScale else { return units == 0 ? 0 : nil }
        let (product, overflow) = units.multipliedReportingOverflow(by: powersOfTen[places])
        return overflow ? nil : product
    }
}
