import AsyncHTTPClient
import FoundationEssentials
import LiquidationModel
import NIOCore

/// One exchange as Kaiko's reference data lists it.
public struct ExchangeReference: Sendable, Equatable {
    public let code: String
    public let name: String

    public init(code: String, name: String) {
        self.code = code
        self.name = name
    }
}

/// Kaiko's reference data API (`GET /v1/exchanges`, no key): exchange codes and their names.
/// No API key is sent there: it is another host than the market data API.
public struct ReferenceData: Sendable {
    /// Kaiko's reference data host.
    public static let kaiko = try! KaikoEndpoint(baseURL: "https://reference-data-api.kaiko.io")

    public let endpoint: KaikoEndpoint
    public let timeout: Duration
    /// The proxy and extra CAs to go through; requests that need neither use the shared client.
    public let egress: Egress

    public init(endpoint: KaikoEndpoint = ReferenceData.kaiko, timeout: Duration = .seconds(30), egress: Egress = Egress()) {
        self.endpoint = endpoint
        self.timeout = timeout
        self.egress = egress
    }

    /// Every exchange with a code and a name (a request a day: a client of its own for it
    /// when it goes through a proxy or trusts extra CAs).
    public func exchanges() async throws -> [ExchangeReference] {
        guard egress.proxy(for: endpoint) != nil || egress.extraCAFile != nil else { return try await exchanges(using: .shared) }
        let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: .init(egress: egress, to: endpoint))
        do {
            let list = try await exchanges(using: client)
            try? await client.shutdown()
            return list
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    private func exchanges(using httpClient: HTTPClient) async throws -> [ExchangeReference] {
        let url = endpoint.origin + endpoint.basePath + "/v1/exchanges"
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "User-Agent", value: "liqsync")
        let host = endpoint.host
        let (status, body): (Int, ByteBuffer)
        do {
            (status, body) = try await withDeadline(timeout) { [httpClient, request, timeout] in
                let response = try await httpClient.execute(request, timeout: .init(timeout))
                return (Int(response.status.code), try await response.body.collect(upTo: 8 * 1024 * 1024))
            }
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw KaikoError.referenceDataUnavailable(host: host, reason: "\(error)")
        }
        guard status == 200 else {
            let excerpt = body.withUnsafeReadableBytes { BodyExcerpt.of($0) }
            throw KaikoError.referenceDataUnavailable(host: host, reason: "HTTP \(status): \(excerpt)")
        }
        return try body.withUnsafeReadableBytes { bytes in
            do {
                return try Self.parseExchanges(bytes)
            } catch {
                throw KaikoError.referenceDataUnavailable(host: host, reason: "\(error)")
            }
        }
    }

    /// `[{code, name, ...}]` or `{"data": [...]}`; entries without a usable code or name are
    /// left out (the shipped names stay for them).
    static func parseExchanges(_ bytes: UnsafeRawBufferPointer) throws -> [ExchangeReference] {
        let json = try JSONDocument.parse(bytes).root
        let elements: [JSONNode]
        if let list = json.elements {
            elements = list
        } else if json.isObject {
            guard let list = json["data"]?.elements else {
                throw WireShapeError(path: .root, message: "expected a list of exchanges, or one under \"data\"")
            }
            elements = list
        } else {
            throw WireShapeError(path: .root, message: "expected a list of exchanges, found \(json.kind)")
        }
        return elements.compactMap { element in
            guard let code = element["code"]?.string, let name = element["name"]?.string,
                  (1...64).contains(code.count), (1...200).contains(name.count),
                  !code.unicodeScalars.contains(where: { $0.value < 0x20 }), !name.unicodeScalars.contains(where: { $0.value < 0x20 })
            else { return nil }
            return ExchangeReference(code: code, name: name)
        }
    }
}

extension WireShapeError: CustomStringConvertible {
    var description: String { summary }
}
