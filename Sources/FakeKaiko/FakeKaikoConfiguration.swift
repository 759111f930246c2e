import LiquidationModel

/// How the stand-in behaves. Defaults are a well-behaved API; faults are off.
public struct FakeKaikoConfiguration: Sendable {
    /// The key clients must send in `X-Api-Key`; nil accepts any request.
    public var apiKey: String?
    /// Seed of the synthetic data: same seed, same figures.
    public var seed: UInt64
    /// Assets the API knows; others get 404 (or, see below, an empty data page).
    public var assets: Set<String>
    /// Answer an unknown asset with well-formed, empty data pages instead of 404, as an API
    /// might for a code it has simply no data for.
    public var unknownAssetsAnswerEmpty: Bool
    /// First hour with data (Kaiko: 2025-01-08).
    public var datasetStart: Int64
    /// An hour is published this long after it ends.
    public var publicationDelaySeconds: Int64
    /// For this many hours after publication, an hour shows provisional figures.
    public var revisionHours: Int64
    /// Up to this many different provisional versions of an hour within `revisionHours` (each
    /// hour draws its own number): one revision for some hours, several for others.
    public var revisionStages: Int
    /// Share of hours without liquidations.
    public var emptyHourRate: Double
    /// Assets whose records break a rule (long + short != total): a persistently bad page.
    public var corruptAssets: Set<String>
    /// The envelope of data pages: the endpoint's own example (no `result`) unless asked.
    public var envelope: ResponseEnvelope
    public var faults: FaultConfiguration

    public init(
        apiKey: String? = nil,
        seed: UInt64 = 42,
        assets: Set<String> = FakeKaikoConfiguration.defaultAssets,
        datasetStart: Int64 = KaikoDataset.firstHour.secondsSinceEpoch,
        publicationDelaySeconds: Int64 = 300,
        revisionHours: Int64 = 0,
        revisionStages: Int = 1,
        emptyHourRate: Double = 0.2,
        corruptAssets: Set<String> = [],
        unknownAssetsAnswerEmpty: Bool = false,
        envelope: ResponseEnvelope = .endpointExample,
        faults: FaultConfiguration = FaultConfiguration()
    ) {
        self.envelope = envelope
        self.unknownAssetsAnswerEmpty = unknownAssetsAnswerEmpty
        self.corruptAssets = corruptAssets
        self.apiKey = apiKey
        self.seed = seed
        self.assets = assets
        self.datasetStart = datasetStart
        self.publicationDelaySeconds = publicationDelaySeconds
        self.revisionHours = revisionHours
        self.revisionStages = max(1, revisionStages)
        self.emptyHourRate = emptyHourRate
        self.faults = faults
    }

    public static let defaultAssets: Set<String> = [
        "btc", "eth", "sol", "xrp", "doge", "ada", "bnb", "avax", "link", "ltc", "dot", "trx", "ton", "sui", "pepe",
        "arb", "op", "apt", "near", "fil",
    ]
}

/// The members around a data page's `data`. Kaiko's pages disagree: this endpoint's own response
/// example has `query`, `answer_time`, `answer_timestamp`, `access` and no `result`; Kaiko's
/// general "Envelope" page says every response carries `result`, `time` and `timestamp`. A client
/// must take both.
public enum ResponseEnvelope: String, Sendable, CaseIterable {
    /// As the endpoint's response example: no `result`.
    case endpointExample = "example"
    /// The example's members plus the general envelope's `result: success`, `time` and `timestamp`.
    case general
}

/// Fault injection, each on its own knob.
public struct FaultConfiguration: Sendable {
    /// Share of requests answered 500 or 503 with a JSON error body.
    public var serverErrorRate: Double
    /// Share answered 502 with an HTML body, as a proxy in front would.
    public var badGatewayRate: Double
    /// Share answered 200 with a truncated or malformed JSON body.
    public var malformedBodyRate: Double
    /// Share whose connection is closed half-way through the body.
    public var disconnectRate: Double
    /// Requests per second allowed before answering 429; nil is unlimited.
    public var rateLimitPerSecond: Double?
    /// The `Retry-After` a 429 carries.
    public var retryAfterSeconds: Int
    /// Added before every answer.
    public var latencyMilliseconds: Int
    /// Seed of the fault dice, for reproducible runs.
    public var seed: UInt64

    public init(
        serverErrorRate: Double = 0, badGatewayRate: Double = 0, malformedBodyRate: Double = 0,
        disconnectRate: Double = 0, rateLimitPerSecond: Double? = nil, retryAfterSeconds: Int = 1,
        latencyMilliseconds: Int = 0, seed: UInt64 = 7
    ) {
        self.serverErrorRate = serverErrorRate
        self.badGatewayRate = badGatewayRate
        self.malformedBodyRate = malformedBodyRate
        self.disconnectRate = disconnectRate
        self.rateLimitPerSecond = rateLimitPerSecond
        self.retryAfterSeconds = retryAfterSeconds
        self.latencyMilliseconds = latencyMilliseconds
        self.seed = seed
    }
}
