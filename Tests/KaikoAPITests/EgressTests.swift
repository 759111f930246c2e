import Foundation
import Testing

@testable import KaikoAPI

/// How requests leave the host: proxies and NO_PROXY read as curl and Go read them, credentials
/// kept out of every description, extra CAs checked before anything is sent.
@Suite("Egress: proxies, NO_PROXY, extra CAs")
struct EgressTests {
    let kaiko = KaikoEndpoint(region: .us)
    let standIn = try! KaikoEndpoint(baseURL: "http://127.0.0.1:8089")

    @Test func theEnvironmentIsReadAsCurlAndGoReadIt() throws {
        let egress = try Egress.from(environment: [
            "HTTPS_PROXY": "http://user:p%40ss@proxy.internal:3128", "http_proxy": "egress:8080",
        ])
        let https = try #require(egress.proxy(for: kaiko))
        #expect(https.host == "proxy.internal" && https.port == 3128)
        #expect(https.username == "user" && https.password == "p@ss", "percent-decoded")
        #expect(https.description == "http://proxy.internal:3128", "no credentials in what is logged")
        #expect(egress.proxy(for: standIn)?.description == "http://egress:8080", "a bare host:port is http://")
        #expect(try Egress.from(environment: ["https_proxy": "http://lower:1", "HTTPS_PROXY": "http://upper:1"])
            .proxy(for: kaiko)?.host == "lower")
        #expect(try Egress.from(environment: ["HTTPS_PROXY": ""]).proxy(for: kaiko) == nil)
        let overridden = try Egress.from(environment: ["HTTPS_PROXY": "http://env:1"], proxy: "http://option:2")
        #expect(overridden.proxy(for: kaiko)?.host == "option" && overridden.proxy(for: standIn)?.host == "option")
    }

    @Test func noProxyListsHostsDomainsAddressesRangesAndPorts() {
        let direct = DirectHosts(".internal.example, kaiko.io:443 10.0.0.0/8,[::1], 127.0.0.1")
        #expect(direct.contains(host: "db.internal.example", port: 443))
        #expect(direct.contains(host: "internal.example", port: 80))
        #expect(!direct.contains(host: "notinternal.example", port: 80), "a domain, not a suffix of letters")
        #expect(direct.contains(host: "us.market-api.kaiko.io", port: 443))
        #expect(!direct.contains(host: "us.market-api.kaiko.io", port: 8443), "only the port listed")
        #expect(direct.contains(host: "10.20.30.40", port: 80) && !direct.contains(host: "11.0.0.1", port: 80))
        #expect(direct.contains(host: "::1", port: 80) && direct.contains(host: "127.0.0.1", port: 1))
        #expect(DirectHosts("*").contains(host: "anything", port: 1))
        #expect(!DirectHosts("").contains(host: "anything", port: 1))
        let egress = Egress(httpsProxy: try! ProxyURL(parsing: "http://p:1", from: "test"), direct: DirectHosts("kaiko.io"))
        #expect(egress.proxy(for: kaiko) == nil)
    }

    @Test func aProxyOrACAFileThatCannotServeIsAConfigurationError() throws {
        let notPEM = FileManager.default.temporaryDirectory.appendingPathComponent("liqsync-not-a-ca-\(getpid()).pem").path
        try "this is not a certificate\n".write(toFile: notPEM, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: notPEM) }
        for (environment, proxy, caFile, says) in [
            ([String: String](), "socks5://p:1080", String?.none, "must be an http:// proxy"),
            ([:], "http://", nil, "is not a proxy URL"),
            ([:], nil, "/nonexistent/ca.pem", "the CA file /nonexistent/ca.pem (--ca-file) cannot be read"),
            (["SSL_CERT_FILE": "/nonexistent/bundle.pem"], nil, nil, "(SSL_CERT_FILE) cannot be read"),
            ([:], nil, notPEM, "the CA file \(notPEM) (--ca-file) holds no PEM certificate"),
            ([:], "http://proxy.internal:0", nil, "--proxy names no valid port"),
        ] {
            do {
                _ = try Egress.from(environment: environment, proxy: proxy, caFile: caFile)
                Issue.record("accepted \(String(describing: proxy)) \(String(describing: caFile)) \(environment)")
            } catch {
                #expect("\(error)".contains(says), "\(error)")
            }
        }
    }
}
