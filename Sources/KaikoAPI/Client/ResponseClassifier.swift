import AsyncHTTPClient
import LiquidationModel
import NIOCore
import NIOSSL

/// What one attempt came to: a page that answers the request, a failure worth another attempt,
/// or one that is final.
enum AttemptOutcome {
    case success(WireResponse)
    /// `slowDown`: the answer says the API (or the way to it) is overloaded, a 429 or no answer
    /// within the deadline, as opposed to an answer that is merely wrong.
    case retry(reason: String, retryAfter: Duration?, rateLimited: Bool, slowDown: Bool = false)
    case fail(KaikoError)
}

/// Turns an answer into an `AttemptOutcome`, by its status and then its body: a 200 changes
/// stored hours only when it proves it is a data page that answers the request sent; anything
/// else is a failed request, retried like a 5xx. Pure: no I/O.
struct ResponseClassifier: Sendable {
    /// The API's host, for messages.
    let host: String
    /// Masked should a gateway echo it in a body quoted in a message.
    let apiKey: String?
    /// The proxy requests go through (credentials never shown), for messages; nil: direct.
    var proxy: String? = nil

    func classify(_ answer: HTTPAnswer, asset: AssetCode, window: HourWindow) -> AttemptOutcome {
        let body = answer.body
        let retryAfter = RetryAfter.parse(answer.retryAfter)
        switch answer.status {
        case 200:
            return decode(body, asset: asset, window: window)
        case 429:
            return .retry(reason: "rate limited by \(host) (429)", retryAfter: retryAfter, rateLimited: true, slowDown: true)
        case 408, 500...599:
            return .retry(reason: "HTTP \(answer.status) from \(host): \(excerpt(body))", retryAfter: retryAfter, rateLimited: false)
        case 400:
            return .fail(.badRequest(asset: asset, window: window, message: Self.apiMessage(body)))
        case 401:
            return .fail(.unauthorized(host: host, message: Self.apiMessage(body)))
        case 403:
            return .fail(.forbidden(host: host, asset: asset, message: Self.apiMessage(body)))
        case 404:
            return .fail(.unknownAsset(asset, message: Self.apiMessage(body)))
        default:
            return .fail(.unexpectedStatus(answer.status, host: host, asset: asset, message: Self.apiMessage(body)))
        }
    }

    /// A request that got no answer at all.
    func classify(noAnswer error: any Error, deadline: Duration) -> AttemptOutcome {
        if let error = error as? DeadlineExceeded {
            return .retry(
                reason: "\(error) from \(host) (deadline for the whole request, body included)", retryAfter: nil,
                rateLimited: false, slowDown: true)
        }
        if let reason = Self.untrustedCertificate(error) {
            return .fail(.untrustedCertificate(host: host, reason: reason))
        }
        if let proxy, let error = error as? HTTPClientError, error == .proxyAuthenticationRequired {
            return .fail(.invalidConfiguration(
                "the proxy \(proxy) asks for credentials (407): give them as --proxy http://user:password@host:port or in HTTPS_PROXY"))
        }
        if let proxy, let error = error as? HTTPClientError, error == .invalidProxyResponse {
            return .retry(
                reason: "the proxy \(proxy) would not open a tunnel to \(host) (it answered CONNECT with an error: its "
                    + "credentials, its policy, or \(host) unreachable from it)", retryAfter: nil, rateLimited: false)
        }
        let text = String(describing: error)
        let reason = text.count > 200 ? String(text.prefix(200)) + "…" : text
        return .retry(reason: proxy.map { "\(reason) (through the proxy \($0))" } ?? reason, retryAfter: nil, rateLimited: false)
    }

    /// Why the TLS handshake refused the server's certificate, if that is what `error` is: a
    /// verdict about trust, unlike a handshake cut short, which may go through next time.
    static func untrustedCertificate(_ error: any Error) -> String? {
        if let error = error as? NIOSSLExtraError, error == .failedToValidateHostname {
            return "it does not name the host"
        }
        guard let error = error as? NIOSSLError, case .handshakeFailed(let underlying) = error else { return nil }
        let text = String(describing: underlying)
        for reason in ["CERTIFICATE_VERIFY_FAILED", "CERTIFICATE_EXPIRED", "HOSTNAME_MISMATCH"] where text.contains(reason) {
            return String(reason.lowercased().map { $0 == "_" ? " " : $0 })
        }
        return nil
    }

    private func decode(_ body: ByteBuffer, asset: AssetCode, window: HourWindow) -> AttemptOutcome {
        do {
            let wire = try body.withUnsafeReadableBytes { try WireResponse.parse($0) }
            try AskedQuestion(asset: asset, window: window).check(wire.query)
            return .success(wire)
        } catch let error as JSONSyntaxError {
            // Unparseable JSON is what a truncated transfer (or a proxy's HTML page) looks like.
            return .retry(
                reason: "HTTP 200 from \(host) with an unparseable JSON body (\(body.readableBytes) bytes: \(error)): "
                    + excerpt(body),
                retryAfter: nil, rateLimited: false)
        } catch let error as NotADataPage {
            return .retry(reason: "HTTP 200 from \(host) is \(error): \(excerpt(body))", retryAfter: nil, rateLimited: false)
        } catch let error as NotAnAnswer {
            // A cache serving another request's page may serve the right one on a later attempt.
            return .retry(reason: "HTTP 200 from \(host) is \(error)", retryAfter: nil, rateLimited: false)
        } catch let error as WireShapeError {
            // A data page whose records have the wrong shape will not get better by asking again.
            return .fail(.malformedResponse(asset: asset, window: window, reason: error.summary))
        } catch {
            return .retry(reason: "unreadable body: \(error)", retryAfter: nil, rateLimited: false)
        }
    }

    /// The start of a body, for a message; the API key masked.
    private func excerpt(_ body: ByteBuffer) -> String {
        body.withUnsafeReadableBytes { BodyExcerpt.of($0, masking: apiKey) }
    }

    /// The `message` of a JSON error body; nil for anything else (a proxy's HTML page).
    static func apiMessage(_ body: ByteBuffer) -> String? {
        guard let error = body.withUnsafeReadableBytes({ WireError.parse($0) }) else { return nil }
        return error.message.map { String($0.prefix(500)) }
    }
}
