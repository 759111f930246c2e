import LiquidationModel

/// The question a request asked (this asset's hourly records over this window), against which a
/// data page's `query` echo is read: a page changes stored hours only if it says it answers it.
///
/// A gateway's canned answer (`{"data": []}` with no echo) or a cache serving another request's
/// page (another asset, another window, another interval) is well-formed JSON with a `data`
/// array; storing it would put another asset's numbers, or zeros, under this one. The echo is
/// what tells them apart, so it must name the asset (`token`); the interval and the window are
/// checked where the echo carries them (the endpoint's example does), and a page that echoes
/// them differently is refused too. Pure logic: no I/O.
struct AskedQuestion {
    let asset: AssetCode
    let window: HourWindow

    /// Throws `NotAnAnswer` when the echo is missing, names no asset, or names something other
    /// than what was asked.
    func check(_ echo: WireQuery?) throws(NotAnAnswer) {
        guard let echo else {
            throw NotAnAnswer(reason: "no \"query\" echo, so nothing shows it answers \(asset) \(window)")
        }
        guard let token = echo.token else {
            throw NotAnAnswer(reason: "the \"query\" echo names no asset (no \"token\")")
        }
        guard token.lowercased() == asset.rawValue else {
            throw NotAnAnswer(reason: "the \"query\" echo names asset '\(token.prefix(40))', not \(asset)")
        }
        if let interval = echo.interval, Self.seconds(ofInterval: interval) != 3600 {
            throw NotAnAnswer(reason: "the \"query\" echo names interval '\(interval.prefix(40))', not 1h")
        }
        try checkTime(echo.queryStartTime, member: "query_start_time", asked: window.start)
        try checkTime(echo.queryEndTime, member: "query_end_time", asked: window.end)
    }

    private func checkTime(_ text: String?, member: String, asked: UTCHour) throws(NotAnAnswer) {
        guard let text else { return }
        guard let seconds = try? UTCTimestamp.parse(text) else {
            throw NotAnAnswer(reason: "the \"query\" echo's \(member) '\(text.prefix(40))' is not a time")
        }
        guard seconds == asked.secondsSinceEpoch else {
            throw NotAnAnswer(
                reason: "the \"query\" echo's \(member) is \(text.prefix(40)), not \(asked): a page of another window")
        }
    }

    /// `1h`, `60m`, `3600s`, `1d`: the interval's length in seconds; nil for anything else.
    static func seconds(ofInterval text: String) -> Int64? {
        guard let unit = text.last, let value = Int64(text.dropLast()), value > 0, value <= 100_000 else { return nil }
        switch unit {
        case "s": return value
        case "m": return value * 60
        case "h": return value * 3600
        case "d": return value * 86_400
        default: return nil
        }
    }
}

/// A data page that does not show it answers the request that was sent. Like `NotADataPage` it
/// must not change anything stored: the request is retried and, past the retry budget, the
/// window fails.
struct NotAnAnswer: Error, CustomStringConvertible {
    let reason: String
    var description: String { "not an answer to this request (\(reason))" }
}
