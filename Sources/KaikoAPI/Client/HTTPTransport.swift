import AsyncHTTPClient
import NIOCore

/// What came back for one request: everything the classification needs, read in full.
public struct HTTPAnswer: Sendable {
    public let status: Int
    public let retryAfter: String?
    public let body: ByteBuffer

    public init(status: Int, retryAfter: String? = nil, body: ByteBuffer) {
        self.status = status
        self.retryAfter = retryAfter
        self.body = body
    }
}

/// Sends one GET and reads the whole answer. `AsyncHTTPTransport` in production; a test can
/// answer from a script without a server.
public protocol HTTPTransport: Sendable {
    /// The answer to `url`, or a thrown error when none came: a transport failure, or
    /// `DeadlineExceeded` once `deadline` passed (for the whole exchange, body included).
    func get(_ url: String, headers: [(String, String)], deadline: Duration, maxBodyBytes: Int) async throws -> HTTPAnswer
}

/// The transport over AsyncHTTPClient.
struct AsyncHTTPTransport: HTTPTransport {
    let client: HTTPClient

    func get(_ url: String, headers: [(String, String)], deadline: Duration, maxBodyBytes: Int) async throws -> HTTPAnswer {
        var request = HTTPClientRequest(url: url)
        request.method = .GET
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        // One deadline for the whole exchange, body included.
        do {
            return try await withDeadline(deadline) { [client, request] in
                let response = try await client.execute(request, timeout: .init(deadline))
                let body = try await response.body.collect(upTo: maxBodyBytes)
                return HTTPAnswer(status: Int(response.status.code), retryAfter: response.headers.first(name: "Retry-After"), body: body)
            }
        } catch let error as HTTPClientError where Self.isTimeout(error) {
            throw DeadlineExceeded(limit: deadline)
        }
    }

    /// AsyncHTTPClient's own timers run at the same limit as `withDeadline` (its deadline for the
    /// head, its read timeout between bytes); on a loaded machine either can fire first. Both
    /// mean the same thing, no complete answer within the deadline, and are reported as that.
    static func isTimeout(_ error: HTTPClientError) -> Bool {
        error == .deadlineExceeded || error == .readTimeout
    }
}
