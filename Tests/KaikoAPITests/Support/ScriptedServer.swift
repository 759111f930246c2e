import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Synchronization

/// A server that answers each request with the next canned response, for pages no honest
/// API would send (bad records, foreign next_url). Records the requests it received.
final class ScriptedServer: Sendable {
    struct Canned: Sendable {
        var status: HTTPResponse.Status = .ok
        var body: String
        var headers: [String: String] = [:]
    }

    struct Received: Sendable {
        let uri: String
        let apiKey: String?
    }

    private let queue: Mutex<[Canned]>
    private let log = Mutex<[Received]>([])
    private let task = Mutex<Task<Void, any Error>?>(nil)

    init(_ responses: [Canned]) {
        self.queue = Mutex(responses)
    }

    var received: [Received] { log.withLock { $0 } }

    func start() async throws -> Int {
        let router = Router()
        router.get("/**") { request, _ -> Response in
            self.log.withLock {
                $0.append(Received(uri: request.uri.string, apiKey: request.headers[HTTPField.Name("X-Api-Key")!]))
            }
            let canned = self.queue.withLock { $0.isEmpty ? nil : $0.removeFirst() }
            guard let canned else { return Response(status: .internalServerError) }
            // `{ORIGIN}` in a body becomes this server's own origin (for next_url).
            let origin = "http://\(request.head.authority ?? "127.0.0.1")"
            let body = canned.body.replacingOccurrences(of: "{ORIGIN}", with: origin)
            var response = Response(status: canned.status, body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
            response.headers[.contentType] = "application/json"
            for (name, value) in canned.headers { response.headers[HTTPField.Name(name)!] = value }
            return response
        }
        let (stream, continuation) = AsyncStream.makeStream(of: Int.self)
        var logger = Logger(label: "scripted")
        logger.logLevel = .critical
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { continuation.yield($0.localAddress?.port ?? 0) }, logger: logger)
        task.withLock { $0 = Task { try await app.run() } }
        var iterator = stream.makeAsyncIterator()
        return await iterator.next() ?? 0
    }

    func stop() {
        task.withLock { $0?.cancel() }
    }
}
