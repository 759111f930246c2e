import FoundationEssentials

/// Where the API lives: `https://{eu|us}.market-api.kaiko.io`, or a stand-in's base URL.
public struct KaikoEndpoint: Sendable, Equatable, CustomStringConvertible {
    public enum Region: String, Sendable, CaseIterable {
        case eu, us
    }

    public let scheme: String
    public let host: String
    public let port: Int
    /// A path prefix before `/v2/...` (empty for Kaiko itself).
    public let basePath: String

    public init(region: Region) {
        self.scheme = "https"
        self.host = "\(region.rawValue).market-api.kaiko.io"
        self.port = 443
        self.basePath = ""
    }

    /// Parses `--base-url`; only http and https, with a host, without query or credentials.
    public init(baseURL: String) throws(KaikoError) {
        guard let components = URLComponents(string: baseURL),
              let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = components.host, !host.isEmpty
        else {
            throw .invalidConfiguration("base URL '\(baseURL)' must look like https://host[:port][/path]")
        }
        guard components.user == nil, components.password == nil, components.query == nil else {
            throw .invalidConfiguration("base URL must not carry credentials or a query")
        }
        self.scheme = scheme
        self.host = host.lowercased()
        self.port = components.port ?? (scheme == "https" ? 443 : 80)
        var path = components.path
        while path.hasSuffix("/") { path.removeLast() }
        self.basePath = path
    }

    /// `scheme://host[:port]`, the origin the API key may be sent to.
    public var origin: String {
        let defaultPort = scheme == "https" ? 443 : 80
        let hostPart = host.contains(":") ? "[\(host)]" : host
        return port == defaultPort ? "\(scheme)://\(hostPart)" : "\(scheme)://\(hostPart):\(port)"
    }

    public var description: String { origin + basePath }

    /// Whether `url` points at this endpoint's origin (scheme, host and port all equal).
    public func isSameOrigin(_ url: URLComponents) -> Bool {
        guard let scheme = url.scheme?.lowercased(), let host = url.host?.lowercased() else { return false }
        let port = url.port ?? (scheme == "https" ? 443 : (scheme == "http" ? 80 : -1))
        return scheme == self.scheme && host == self.host && port == self.port
    }
}
