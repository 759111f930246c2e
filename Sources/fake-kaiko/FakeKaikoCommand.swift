import ArgumentParser
import FakeKaiko
import Foundation
import Hummingbird
import LiquidationModel
import Logging

@main
struct FakeKaikoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fake-kaiko",
        abstract: "A local stand-in for Kaiko's token-level liquidation volumes API.",
        discussion: """
            Serves GET /v2/data/liquidation.v1/token/{asset} as Kaiko documents it, with deterministic \
            synthetic data. Test routes: GET /_fake/truth/{asset}?start_time=&end_time= (final figures), \
            POST /_fake/clock?now=ISO|advance_hours=N, POST /_fake/faults?persistent=NAME|none[&asset=CODE]&script=NAME,..., \
            GET /_fake/stats (counts by status, arrival times). Fault names: server-error[:STATUS], bad-gateway, rate-limited[:SECONDS], \
            retry-after:TEXT, truncated-body, malformed-body, disconnect, empty-object, null-data, \
            proxy-error-page, error-result, empty-data, no-query-echo, other-asset[:CODE], \
            other-window[:HOURS_EARLIER], other-interval[:1d], slow-body[:MS_PER_BYTE], endless-pagination, \
            token-without-next-url. Data pages come in the envelope of the endpoint's own response example \
            (no "result") unless --envelope general adds Kaiko's general envelope (result, time, timestamp).
            """)

    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port (0 picks a free one; the chosen port is printed).") var port = 8089
    @Option(help: "The API key clients must send in X-Api-Key (default: accept any).") var apiKey: String?
    @Option(help: "Seed of the synthetic data.") var seed: UInt64 = 42
    @Option(help: "Fake current time, ISO 8601 (default: the real time).") var now: String?
    @Option(help: "Fake seconds per real second.") var speed: Double = 1
    @Option(help: "Seconds after an hour ends before it is published.") var publicationDelay: Int64 = 300
    @Option(help: "Hours after publication during which an hour shows provisional figures.") var revisionHours: Int64 = 0
    @Option(help: "Up to this many provisional versions of an hour within --revision-hours (each hour draws its number).")
    var revisionStages: Int = 1
    @Option(help: "Share of hours without liquidations (0...1).") var emptyHourRate: Double = 0.2
    @Option(help: "Comma-separated assets the API knows (default: 20 common ones).") var assets: String?
    @Option(help: "Comma-separated assets whose records are invalid (long + short != total).") var corruptAssets: String?
    @Option(help: "Share of requests answered 500/503.") var errorRate: Double = 0
    @Option(help: "Share answered 502 with an HTML body.") var badGatewayRate: Double = 0
    @Option(help: "Share answered with truncated or malformed JSON.") var malformedRate: Double = 0
    @Option(help: "Share of connections closed mid-response.") var disconnectRate: Double = 0
    @Option(help: "Requests per second before answering 429.") var rateLimit: Double?
    @Option(help: "Retry-After seconds sent with a 429.") var retryAfter: Int = 1
    @Option(help: "Milliseconds added to every answer.") var latencyMs: Int = 0
    @Option(help: "Seed of the fault dice.") var faultSeed: UInt64 = 7
    @Option(help: "Answer every data request with this fault (see above).") var persistentFault: String?
    @Flag(help: "Answer unknown assets with empty data pages instead of 404.") var unknownAssetsEmpty = false
    @Option(help: "Envelope of data pages: example (the endpoint's response example, no \"result\") or general (adds result, time, timestamp).")
    var envelope: ResponseEnvelope = .endpointExample

    func validate() throws {
        for (name, rate) in [("--error-rate", errorRate), ("--bad-gateway-rate", badGatewayRate),
                             ("--malformed-rate", malformedRate), ("--disconnect-rate", disconnectRate),
                             ("--empty-hour-rate", emptyHourRate)] where !(0...1).contains(rate) {
            throw ValidationError("\(name) must be between 0 and 1")
        }
        if revisionStages < 1 { throw ValidationError("--revision-stages must be at least 1") }
        if let now { _ = try parseNow(now) }
        if let persistentFault, FakeFault(name: persistentFault) == nil {
            throw ValidationError("--persistent-fault: unknown fault '\(persistentFault)'")
        }
    }

    private func parseNow(_ text: String) throws -> Date {
        do {
            return Date(timeIntervalSince1970: Double(try UTCTimestamp.parse(text)))
        } catch {
            throw ValidationError("--now: \(error)")
        }
    }

    func run() async throws {
        var configuration = FakeKaikoConfiguration(
            apiKey: apiKey, seed: seed, publicationDelaySeconds: publicationDelay, revisionHours: revisionHours,
            revisionStages: revisionStages,
            emptyHourRate: emptyHourRate, unknownAssetsAnswerEmpty: unknownAssetsEmpty, envelope: envelope,
            faults: FaultConfiguration(
                serverErrorRate: errorRate, badGatewayRate: badGatewayRate, malformedBodyRate: malformedRate,
                disconnectRate: disconnectRate, rateLimitPerSecond: rateLimit, retryAfterSeconds: retryAfter,
                latencyMilliseconds: latencyMs, seed: faultSeed))
        if let corruptAssets {
            configuration.corruptAssets = Set(corruptAssets.split(separator: ",").map(String.init))
        }
        if let assets {
            configuration.assets = Set(assets.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) })
        }
        let clock = FakeClock(now: try now.map(parseNow), speed: speed)
        var logger = Logger(label: "fake-kaiko")
        logger.logLevel = .warning
        let fake = FakeKaiko(configuration: configuration, clock: clock)
        if let persistentFault { fake.setPersistentFault(FakeFault(name: persistentFault)) }
        let host = self.host
        let app = fake.makeApplication(host: host, port: port, logger: logger) { port in
            // Written straight to the file descriptor: scripts wait for this line on a pipe.
            FileHandle.standardOutput.write(Data("fake-kaiko listening on http://\(host):\(port)\n".utf8))
        }
        try await app.runService()
    }
}

extension ResponseEnvelope: ExpressibleByArgument {}
