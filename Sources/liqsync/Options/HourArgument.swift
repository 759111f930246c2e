import ArgumentParser
import CommandLineSupport
import KaikoAPI
import LiquidationModel

/// A `--since`/`--from`/`--to` value: a date or a UTC time, floored to its hour.
struct HourArgument: Sendable {
    let hour: UTCHour
    /// The text did not name a whole hour and was moved back to the hour's start.
    let wasRounded: Bool
    let text: String

    /// The hour of an exclusive end: an end inside an hour still covers that hour's start.
    var endHour: UTCHour { wasRounded ? hour.next : hour }

    /// A transform for `@Option`: parsed once, when the command line is.
    static func parser(_ option: String) -> @Sendable (String) throws -> HourArgument {
        { text in
            do {
                let seconds = try UTCTimestamp.parse(text)
                let hour = UTCHour(containing: seconds)
                return HourArgument(hour: hour, wasRounded: hour.secondsSinceEpoch != seconds, text: text)
            } catch {
                throw ValidationError("\(option): \(error)")
            }
        }
    }
}

enum AssetArgument {
    /// A transform for asset arguments and options: the code's own rule in the message.
    @Sendable static func parse(_ text: String) throws -> AssetCode {
        do {
            return try AssetCode(validating: text)
        } catch {
            throw ValidationError(error.description)
        }
    }

    /// The codes in order, each once.
    static func unique(_ codes: [AssetCode]) -> [AssetCode] {
        codes.reduce(into: []) { if !$0.contains($1) { $0.append($1) } }
    }
}

extension KaikoEndpoint.Region: ExpressibleByArgument {}
