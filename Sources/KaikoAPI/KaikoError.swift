import LiquidationModel

/// What went wrong talking to Kaiko, with what a person needs to act: the asset, the window, the
/// host, the HTTP status and the API's own message. Never the API key.
public enum KaikoError: Error, Sendable, CustomStringConvertible {
    case invalidConfiguration(String)
    /// 401: the key is missing, wrong, or lacks the entitlement.
    case unauthorized(host: String, message: String?)
    /// 403: the key has no access to this resource.
    case forbidden(host: String, asset: AssetCode, message: String?)
    /// 404: Kaiko does not know the asset.
    case unknownAsset(AssetCode, message: String?)
    /// 400: the API rejected the parameters.
    case badRequest(asset: AssetCode, window: HourWindow, message: String?)
    /// Another status that retrying will not fix.
    case unexpectedStatus(Int, host: String, asset: AssetCode, message: String?)
    /// Retryable failures went on past the retry budget.
    case retriesExhausted(asset: AssetCode, window: HourWindow, attempts: Int, lastFailure: String)
    /// A `next_url` pointed somewhere other than the configured API; it was not followed.
    case foreignNextURL(asset: AssetCode, window: HourWindow, origin: String)
    /// The same continuation came back twice: following it would loop forever.
    case paginationLoop(asset: AssetCode, window: HourWindow, page: Int)
    /// The pagination went on for more pages than the window has hours: not an honest answer.
    case tooManyPages(asset: AssetCode, window: HourWindow, pages: Int)
    /// A data page whose records do not have the documented shape.
    case malformedResponse(asset: AssetCode, window: HourWindow, reason: String)
    /// A record that fails validation against the request.
    case invalidRecord(asset: AssetCode, window: HourWindow, problem: RecordProblem)
    /// Kaiko's reference data (exchange names) could not be read; the names stored stay.
    case referenceDataUnavailable(host: String, reason: String)
    /// The API's TLS certificate (or a TLS-inspecting proxy's) is not signed by a trusted CA or
    /// does not name the host: asking again will not change it.
    case untrustedCertificate(host: String, reason: String)

    public var description: String {
        switch self {
        case .invalidConfiguration(let reason):
            return "invalid Kaiko configuration: \(reason)"
        case .unauthorized(let host, let message):
            return "API key rejected by \(host) (401)" + Self.apiSays(message)
        case .forbidden(let host, let asset, let message):
            return "the API key has no access to '\(asset)' at \(host) (403)" + Self.apiSays(message)
        case .unknownAsset(let asset, let message):
            return "unknown asset '\(asset)' (404)" + Self.apiSays(message)
        case .badRequest(let asset, let window, let message):
            return "the API rejected the request for \(asset) \(window) (400)" + Self.apiSays(message)
        case .unexpectedStatus(let status, let host, let asset, let message):
            return "unexpected HTTP status \(status) from \(host) for \(asset)" + Self.apiSays(message)
        case .retriesExhausted(let asset, let window, let attempts, let lastFailure):
            return "gave up on \(asset) \(window) after \(attempts) attempts; last failure: \(lastFailure)"
        case .foreignNextURL(let asset, let window, let origin):
            return "refused to follow next_url to \(origin) for \(asset) \(window): not the configured API host, "
                + "the API key is only sent there"
        case .paginationLoop(let asset, let window, let page):
            return "the API returned the same continuation twice (page \(page)) for \(asset) \(window)"
        case .tooManyPages(let asset, let window, let pages):
            return "the API's pagination for \(asset) \(window) went on past \(pages) pages, more than the window "
                + "has hours; stopped following it"
        case .malformedResponse(let asset, let window, let reason):
            return "malformed response for \(asset) \(window): \(reason)"
        case .invalidRecord(let asset, let window, let problem):
            return "invalid data for \(asset) \(window): \(problem)"
        case .referenceDataUnavailable(let host, let reason):
            return "cannot read exchange names from \(host): \(String(reason.prefix(300))); the names stored are kept"
        case .untrustedCertificate(let host, let reason):
            return "the TLS certificate presented for \(host) is not trusted (\(reason)); if a private CA signs it (a "
                + "TLS-inspecting egress proxy, an internal gateway), pass its certificate with --ca-file PATH or SSL_CERT_FILE"
        }
    }

    private static func apiSays(_ message: String?) -> String {
        guard let message, !message.isEmpty else { return "" }
        return ": \(message)"
    }
}

/// Why a record was refused.
public enum RecordProblem: Error, Sendable, Equatable, CustomStringConvertible {
    case missingTime
    case unreadableTime(String)
    case timestampMismatch(intervalTime: String, intervalTimestamp: Int64)
    case notHourAligned(String)
    case outsideWindow(UTCHour)
    case duplicateHour(UTCHour)
    case duplicateExchange(UTCHour, exchange: String)
    case emptyExchangeCode(UTCHour)
    case negativeCount(UTCHour, field: String, value: Int64)
    case negativeAmount(UTCHour, field: String, value: String)
    case tradesDoNotAddUp(UTCHour, exchange: String?, long: Int64, short: Int64, total: Int64)

    public var description: String {
        switch self {
        case .missingTime:
            return "a record has neither interval_time nor interval_timestamp"
        case .unreadableTime(let text):
            return "interval_time '\(text)' is not an ISO 8601 time"
        case .timestampMismatch(let time, let stamp):
            return "interval_timestamp \(stamp) does not match interval_time \(time)"
        case .notHourAligned(let time):
            return "interval \(time) does not start on a whole hour"
        case .outsideWindow(let hour):
            return "hour \(hour) is outside the requested window"
        case .duplicateHour(let hour):
            return "hour \(hour) appears twice"
        case .duplicateExchange(let hour, let exchange):
            return "exchange '\(exchange)' appears twice in hour \(hour)"
        case .emptyExchangeCode(let hour):
            return "an exchange in hour \(hour) has an empty code"
        case .negativeCount(let hour, let field, let value):
            return "\(field) is negative (\(value)) in hour \(hour)"
        case .negativeAmount(let hour, let field, let value):
            return "\(field) is negative (\(value)) in hour \(hour)"
        case .tradesDoNotAddUp(let hour, let exchange, let long, let short, let total):
            let scope = exchange.map { " on \($0)" } ?? ""
            return "long_trades \(long) + short_trades \(short) != total_trades \(total) in hour \(hour)\(scope)"
        }
    }
}
