import AsyncHTTPClient
import FoundationEssentials
import NIOSSL

/// How liqsync's HTTP requests leave the host: through an HTTP proxy (https tunnelled with
/// CONNECT, so the proxy sees the host and never the API key), unless the host is listed as
/// direct, trusting the system's CAs and, beyond them, those of a file (a TLS-inspecting egress
/// proxy's, a private API gateway's).
public struct Egress: Sendable, Equatable {
    /// For `http` and `https` endpoints: the proxy, or nil to go direct.
    public var httpProxy: ProxyURL?
    public var httpsProxy: ProxyURL?
    /// Hosts reached directly whatever the proxies (`NO_PROXY`).
    public var direct: DirectHosts
    /// PEM certificates trusted besides the system's (`--ca-file`, `SSL_CERT_FILE`).
    public var extraCAFile: String?

    public init(httpProxy: ProxyURL? = nil, httpsProxy: ProxyURL? = nil, direct: DirectHosts = DirectHosts(), extraCAFile: String? = nil) {
        self.httpProxy = httpProxy
        self.httpsProxy = httpsProxy
        self.direct = direct
        self.extraCAFile = extraCAFile
    }

    /// As curl and Go read the environment: `https_proxy`/`HTTPS_PROXY` for https,
    /// `http_proxy`/`HTTP_PROXY` for http, `no_proxy`/`NO_PROXY`, `SSL_CERT_FILE`; `proxy` (the
    /// `--proxy` option) replaces both proxies, `caFile` (`--ca-file`) the file.
    public static func from(
        environment: [String: String], proxy: String? = nil, caFile: String? = nil
    ) throws(KaikoError) -> Egress {
        func variable(_ names: String...) -> String? {
            names.lazy.compactMap { environment[$0] }.first { !$0.isEmpty }
        }
        var egress = Egress()
        if let proxy {
            egress.httpProxy = try ProxyURL(parsing: proxy, from: "--proxy")
            egress.httpsProxy = egress.httpProxy
        } else {
            egress.httpsProxy = try variable("https_proxy", "HTTPS_PROXY").map { text throws(KaikoError) in
                try ProxyURL(parsing: text, from: "HTTPS_PROXY")
            }
            egress.httpProxy = try variable("http_proxy", "HTTP_PROXY").map { text throws(KaikoError) in
                try ProxyURL(parsing: text, from: "HTTP_PROXY")
            }
        }
        egress.direct = DirectHosts(variable("no_proxy", "NO_PROXY") ?? "")
        egress.extraCAFile = caFile ?? variable("SSL_CERT_FILE")
        if let file = egress.extraCAFile {
            let origin = caFile != nil ? "--ca-file" : "SSL_CERT_FILE"
            guard FileManager.default.isReadableFile(atPath: file) else {
                throw .invalidConfiguration("the CA file \(file) (\(origin)) cannot be read")
            }
            // Proven at start, not at the first TLS handshake, where a file of something else
            // would fail every request as a temporary error.
            guard let certificates = try? NIOSSLCertificate.fromPEMFile(file), !certificates.isEmpty else {
                throw .invalidConfiguration("the CA file \(file) (\(origin)) holds no PEM certificate")
            }
        }
        return egress
    }

    /// The proxy requests to `endpoint` go through, or nil (direct).
    public func proxy(for endpoint: KaikoEndpoint) -> ProxyURL? {
        guard !direct.contains(host: endpoint.host, port: endpoint.port) else { return nil }
        return endpoint.scheme == "https" ? httpsProxy : httpProxy
    }
}

/// An HTTP proxy: `http://[user:password@]host[:port]`. Its credentials never appear in its
/// description (logs, errors).
public struct ProxyURL: Sendable, Equatable, CustomStringConvertible {
    public let host: String
    public let port: Int
    public let username: String?
    public let password: String?

    init(parsing text: String, from origin: String) throws(KaikoError) {
        // curl and Go take a bare host[:port] as http://.
        let withScheme = text.contains("://") ? text : "http://" + text
        guard let components = URLComponents(string: withScheme), let host = components.host, !host.isEmpty else {
            throw .invalidConfiguration("\(origin) is not a proxy URL (http://[user:password@]host:port)")
        }
        guard components.scheme?.lowercased() == "http" else {
            throw .invalidConfiguration(
                "\(origin) must be an http:// proxy (https requests are tunnelled through it with CONNECT), not \(components.scheme ?? "?")://")
        }
        guard (1...65535).contains(components.port ?? 80) else {
            throw .invalidConfiguration("\(origin) names no valid port (1 to 65535)")
        }
        self.host = host
        port = components.port ?? 80
        username = components.user
        password = components.password
    }

    public var description: String { "http://\(host.contains(":") ? "[\(host)]" : host):\(port)" }
}

/// `NO_PROXY`: hosts reached directly. Entries separated by commas (or spaces): `*` (every
/// host), a host name (it and its subdomains; a leading dot is allowed), an IP address, an IPv4
/// range (`10.0.0.0/8`), any of them with `:port` to match that port only.
public struct DirectHosts: Sendable, Equatable {
    struct Entry: Sendable, Equatable {
        let host: String
        let port: Int?
    }

    let entries: [Entry]

    public init(_ text: String = "") {
        entries = text.split(whereSeparator: { $0 == "," || $0.isWhitespace }).compactMap { raw in
            var entry = raw.lowercased()
            guard !entry.isEmpty else { return nil }
            var port: Int?
            if let colon = entry.lastIndex(of: ":"), !entry.hasSuffix("]"), entry.filter({ $0 == ":" }).count == 1,
               let value = Int(entry[entry.index(after: colon)...])
            {
                port = value
                entry = String(entry[..<colon])
            }
            if entry.hasPrefix("[") && entry.hasSuffix("]") { entry = String(entry.dropFirst().dropLast()) }
            while entry.hasPrefix(".") || entry.hasPrefix("*.") { entry = String(entry.drop(while: { $0 == "." || $0 == "*" })) }
            return Entry(host: entry.isEmpty ? "*" : entry, port: port)
        }
    }

    public func contains(host: String, port: Int) -> Bool {
        let host = host.lowercased()
        return entries.contains { entry in
            if let only = entry.port, only != port { return false }
            if entry.host == "*" || host == entry.host || host.hasSuffix("." + entry.host) { return true }
            return Self.ipv4(host, isIn: entry.host)
        }
    }

    /// Whether `host`, an IPv4 address, is inside `range` (`a.b.c.d/n`).
    private static func ipv4(_ host: String, isIn range: String) -> Bool {
        let parts = range.split(separator: "/")
        guard parts.count == 2, let bits = UInt32(parts[1]), bits <= 32, let network = address(String(parts[0])),
              let address = address(host)
        else { return false }
        let mask: UInt32 = bits == 0 ? 0 : UInt32.max << (32 - bits)
        return address & mask == network & mask
    }

    private static func address(_ text: String) -> UInt32? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var address: UInt32 = 0
        for part in parts {
            guard let octet = UInt8(part) else { return nil }
            address = address << 8 | UInt32(octet)
        }
        return address
    }
}

extension HTTPClient.Configuration {
    /// A configuration whose requests to `endpoint` go through `egress`'s proxy (if the host is
    /// not direct) and trust its extra CAs besides the system's.
    init(egress: Egress, to endpoint: KaikoEndpoint) {
        self.init()
        // A connection that cannot be made fails its request at once, into liqsync's own retry
        // policy (backoff, budget, a final verdict for an untrusted certificate), instead of being
        // retried silently until the connect timeout.
        connectionPool.retryConnectionEstablishment = false
        if let proxy = egress.proxy(for: endpoint) {
            let authorization = proxy.username.map { HTTPClient.Authorization.basic(username: $0, password: proxy.password ?? "") }
            self.proxy = .server(host: proxy.host, port: proxy.port, authorization: authorization)
        }
        if let file = egress.extraCAFile {
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.additionalTrustRoots = [.file(file)]
            tlsConfiguration = tls
        }
    }
}
