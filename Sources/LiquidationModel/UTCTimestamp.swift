/// Parsing and printing of the timestamps a person types on the command line, in UTC.
public enum UTCTimestamp {
    /// Accepts `2025-01-08`, `2025-01-08T10:00`, `2025-01-08T10:00:00`, `2025-01-08 10:00:00`,
    /// each optionally with fractional seconds and `Z` or an offset (`+02:00`). Without an
    /// offset the time is UTC. Returns whole seconds since the epoch (fractions are truncated).
    public static func parse(_ text: String) throws(UTCTimestampError) -> Int64 {
        // Every record's `interval_time` comes through here: read in place, not copied out.
        var contiguous = text
        return try contiguous.withUTF8 { bytes in
            Result { () throws(UTCTimestampError) in try parse(bytes, text: text) }
        }.get()
    }

    private static func parse(_ bytes: UnsafeBufferPointer<UInt8>, text: String) throws(UTCTimestampError) -> Int64 {
        var index = 0
        func number(_ count: Int) -> Int64? {
            guard index + count <= bytes.count else { return nil }
            var value: Int64 = 0
            for byte in bytes[index..<index + count] {
                guard byte >= 48, byte <= 57 else { return nil }
                value = value * 10 + Int64(byte - 48)
            }
            index += count
            return value
        }
        func skip(_ character: UInt8) -> Bool {
            guard index < bytes.count, bytes[index] == character else { return false }
            index += 1
            return true
        }
        guard let year = number(4), skip(UInt8(ascii: "-")), let month = number(2), skip(UInt8(ascii: "-")),
              let day = number(2)
        else { throw .unreadable(text) }
        guard (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(day) else {
            throw .invalidDate(text)
        }
        var secondOfDay: Int64 = 0
        var offset: Int64 = 0
        if index < bytes.count {
            guard skip(UInt8(ascii: "T")) || skip(UInt8(ascii: "t")) || skip(UInt8(ascii: " ")),
                  let hour = number(2), skip(UInt8(ascii: ":")), let minute = number(2)
            else { throw .unreadable(text) }
            var second: Int64 = 0
            if skip(UInt8(ascii: ":")) {
                guard let value = number(2) else { throw .unreadable(text) }
                second = value
                if skip(UInt8(ascii: ".")) {
                    let fractionStart = index
                    while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 { index += 1 }
                    guard index > fractionStart else { throw .unreadable(text) }
                }
            }
            guard hour < 24, minute < 60, second < 60 else { throw .invalidDate(text) }
            secondOfDay = hour * 3600 + minute * 60 + second
            if skip(UInt8(ascii: "Z")) || skip(UInt8(ascii: "z")) {
                offset = 0
            } else if index < bytes.count {
                let sign: Int64
                if skip(UInt8(ascii: "+")) { sign = 1 } else if skip(UInt8(ascii: "-")) { sign = -1 } else {
                    throw .unreadable(text)
                }
                guard let offsetHours = number(2) else { throw .unreadable(text) }
                _ = skip(UInt8(ascii: ":"))
                let offsetMinutes = number(2) ?? 0
                guard offsetHours < 24, offsetMinutes < 60 else { throw .invalidDate(text) }
                offset = sign * (offsetHours * 3600 + offsetMinutes * 60)
            }
        }
        guard index == bytes.count else { throw .unreadable(text) }
        return daysSinceEpoch(year: year, month: month, day: day) * 86_400 + secondOfDay - offset
    }

    /// `2025-02-27T23:00:00Z` (years 0...9999; others print as many digits as they have).
    public static func format(secondsSinceEpoch seconds: Int64) -> String {
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        let (year, month, day) = civilDate(fromDaysSinceEpoch: days)
        guard (0...9999).contains(year) else {
            return pad(year, 4) + "-" + pad(month, 2) + "-" + pad(day, 2) + "T" + pad(secondOfDay / 3600, 2) + ":"
                + pad(secondOfDay % 3600 / 60, 2) + ":" + pad(secondOfDay % 60, 2) + "Z"
        }
        // Twenty bytes written in place: every hour written to the database is printed once, and
        // building the text from eleven small strings was a visible share of the ingest path.
        return String(unsafeUninitializedCapacity: 20) { text in
            func put(_ value: Int64, width: Int, at offset: Int) {
                var rest = value
                for position in stride(from: offset + width - 1, through: offset, by: -1) {
                    text[position] = UInt8(ascii: "0") + UInt8(rest % 10)
                    rest /= 10
                }
            }
            put(year, width: 4, at: 0)
            text[4] = UInt8(ascii: "-")
            put(month, width: 2, at: 5)
            text[7] = UInt8(ascii: "-")
            put(day, width: 2, at: 8)
            text[10] = UInt8(ascii: "T")
            put(secondOfDay / 3600, width: 2, at: 11)
            text[13] = UInt8(ascii: ":")
            put(secondOfDay % 3600 / 60, width: 2, at: 14)
            text[16] = UInt8(ascii: ":")
            put(secondOfDay % 60, width: 2, at: 17)
            text[19] = UInt8(ascii: "Z")
            return 20
        }
    }

    static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    // Howard Hinnant's days-from-civil / civil-from-days (proleptic Gregorian calendar).
    static func daysSinceEpoch(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * ((month + 9) % 12) + 2) / 5 + day - 1
        return era * 146_097 + yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear - 719_468
    }

    static func civilDate(fromDaysSinceEpoch days: Int64) -> (Int64, Int64, Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    private static func pad(_ value: Int64, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}

public enum UTCTimestampError: Error, Sendable, Equatable, CustomStringConvertible {
    case unreadable(String)
    case invalidDate(String)

    public var description: String {
        switch self {
        case .unreadable(let text):
            return "'\(text)' is not a date or time; use e.g. 2025-01-08 or 2025-01-08T10:00:00Z"
        case .invalidDate(let text):
            return "'\(text)' is not a valid calendar date or time of day"
        }
    }
}
