import ArgumentParser
import CommandLineSupport
import FoundationEssentials
import Glibc
import Ingest
import KaikoAPI
import LiquidationModel

/// Where the Kaiko API is and how to authenticate.
struct KaikoOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Kaiko region: eu or us. Default: $KAIKO_REGION, else us.", valueName: "region"))
    var region: KaikoEndpoint.Region?

    @Option(help: ArgumentHelp("Base URL of a stand-in API (e.g. http://127.0.0.1:8089); overrides --region.", valueName: "url"))
    var baseURL: String?

    @Option(help: ArgumentHelp(
        "File holding the API key. Default: $CREDENTIALS_DIRECTORY/kaiko-api-key (systemd LoadCredential=), else $KAIKO_API_KEY.",
        valueName: "path"))
    var apiKeyFile: String?

    @Option(help: ArgumentHelp(
        "Base URL of the reference data API (exchange names). Default: --base-url when given, else Kaiko's.",
        valueName: "url"))
    var referenceURL: String?

    @Option(help: "Requests per second to the API, shared by every liqsync using the same database (a fleet and manual runs).")
    var maxRequestsPerSecond: Double = 50

    @Option(help: ArgumentHelp("Deadline of one request, from connecting to the last byte of the body.", valueName: "seconds"))
    var requestTimeout: Int = 30

    @Option(help: ArgumentHelp("Attempts per request before its window fails (5xx, 429, timeouts, non-data answers).", valueName: "n"))
    var maxAttempts: Int = 8

    @Option(help: ArgumentHelp(
        "Longest Retry-After honoured; a server asking for more fails the window at once (tried again next pass).",
        valueName: "seconds"))
    var maxRetryAfter: Int = 120

    @Option(help: ArgumentHelp(
        "HTTP proxy for the API and reference data (https tunnelled with CONNECT); credentials in it are never logged. "
            + "Default: $HTTPS_PROXY / $https_proxy (https), $HTTP_PROXY / $http_proxy (http); $NO_PROXY lists hosts reached directly.",
        valueName: "url"))
    var proxy: String?

    @Option(help: ArgumentHelp(
        "PEM file of CA certificates trusted besides the system's (a TLS-inspecting proxy's, a private gateway's). Default: $SSL_CERT_FILE.",
        valueName: "path"))
    var caFile: String?

    func validate() throws {
        guard maxRequestsPerSecond > 0 else { throw ValidationError("--max-requests-per-second must be positive") }
        guard (1...3600).contains(requestTimeout) else { throw ValidationError("--request-timeout must be 1 to 3600 seconds") }
        guard (1...100).contains(maxAttempts) else { throw ValidationError("--max-attempts must be between 1 and 100") }
        guard (0...86_400).contains(maxRetryAfter) else { throw ValidationError("--max-retry-after must be 0 to 86400 seconds") }
    }

    func configuration(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> KaikoConfiguration {
        let endpoint: KaikoEndpoint
        if let baseURL {
            endpoint = try KaikoEndpoint(baseURL: baseURL)
        } else {
            let fromEnvironment = environment["KAIKO_REGION"] ?? "us"
            guard let region = region ?? KaikoEndpoint.Region(rawValue: fromEnvironment) else {
                throw CommandFailure("KAIKO_REGION must be eu or us, not '\(fromEnvironment)'", status: .configuration)
            }
            endpoint = KaikoEndpoint(region: region)
        }
        let key = try apiKey(environment: environment)
        if key == nil && baseURL == nil {
            throw CommandFailure(
                "no Kaiko API key: set KAIKO_API_KEY, pass --api-key-file, or give the service LoadCredential=kaiko-api-key",
                status: .configuration)
        }
        var retry = RetryPolicy()
        retry.maxAttempts = maxAttempts
        retry.maxRetryAfter = .seconds(maxRetryAfter)
        return KaikoConfiguration(
            endpoint: endpoint, apiKey: key, maxRequestsPerSecond: maxRequestsPerSecond, retry: retry,
            requestTimeout: .seconds(requestTimeout), egress: try egress(environment: environment))
    }

    /// The proxy and extra CAs requests go through (a configuration error, exit 78, when they are wrong).
    func egress(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Egress {
        do {
            return try Egress.from(environment: environment, proxy: proxy, caFile: caFile)
        } catch {
            throw CommandFailure("\(error)", status: .configuration)
        }
    }

    /// Where exchange names are read (no key is sent there).
    func referenceData() throws -> ReferenceData {
        let endpoint = try (referenceURL ?? baseURL).map { url throws in try KaikoEndpoint(baseURL: url) } ?? ReferenceData.kaiko
        return ReferenceData(endpoint: endpoint, timeout: .seconds(requestTimeout), egress: try egress())
    }

    /// The key from the first source that has one. The key's text never appears in a message.
    func apiKey(environment: [String: String]) throws -> APIKey? {
        if let apiKeyFile {
            return try readKey(at: apiKeyFile, origin: "--api-key-file")
        }
        if let directory = environment["CREDENTIALS_DIRECTORY"] {
            let path = directory + "/kaiko-api-key"
            if FileManager.default.fileExists(atPath: path) { return try readKey(at: path, origin: "the systemd credential") }
        }
        if let value = environment["KAIKO_API_KEY"] {
            guard let key = APIKey(value) else {
                throw CommandFailure("KAIKO_API_KEY is set but empty", status: .configuration)
            }
            return key
        }
        return nil
    }

    private func readKey(at path: String, origin: String) throws -> APIKey {
        let contents: String
        switch Self.readSmallTextFile(at: path) {
        case .success(let text): contents = text
        case .failure(let reason):
            throw CommandFailure("cannot read the API key from \(origin) \(path): \(reason.text)", status: .configuration)
        }
        guard let key = APIKey(contents) else {
            throw CommandFailure("the API key file \(path) (\(origin)) is empty or has several lines", status: .configuration)
        }
        return key
    }

    struct UnreadableFile: Error {
        let text: String
    }

    /// A file of at most 64 KiB as UTF-8 text, or why not in the system's words ("No such file or
    /// directory", "Is a directory").
    static func readSmallTextFile(at path: String) -> Result<String, UnreadableFile> {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return .failure(UnreadableFile(text: String(cString: strerror(errno)))) }
        defer { close(descriptor) }
        let limit = 64 * 1024
        var bytes: [UInt8] = []
        var block = [UInt8](repeating: 0, count: 4096)
        while bytes.count <= limit {
            let count = block.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { return .failure(UnreadableFile(text: String(cString: strerror(errno)))) }
            if count == 0 {
                guard let text = String(validating: bytes, as: UTF8.self) else {
                    return .failure(UnreadableFile(text: "it is not UTF-8 text"))
                }
                return .success(text)
            }
            bytes += block[..<count]
        }
        return .failure(UnreadableFile(text: "it is larger than 64 KiB, which no API key is"))
    }
}
