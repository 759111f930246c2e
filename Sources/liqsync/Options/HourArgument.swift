import ArgumentParser
import LiquidationModel

/// Reading `--since`/`--from`/`--to` values: a date or a UTC time, floored to its hour.
enum HourArgument {
    struct Parsed {
        let hour: UTCHour
        /// The text did not name a whole hour and was moved back to the hour's start.
        let wasRounded: Bool
    }

    static func parse(_ text: String, option: String) throws -> Parsed {
        do {
            let seconds = try UTCTimestamp.parse(text)
            let hour = UTCHour(containing: seconds)
            return Parsed(hour: hour, wasRounded: hour.secondsSinceEpoch != seconds)
        } catch {
            throw ValidationError("\(option): \(error)")
        }
    }
}

enum AssetArgument {
    static func parse(_ text: String) throws -> AssetCode {
        do {
            return try AssetCode(validating: text)
        } catch {
            throw ValidationError(error.description)
        }
    }
}
