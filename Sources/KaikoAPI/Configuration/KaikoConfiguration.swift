/// How the client talks to the API.
public struct KaikoConfiguration: Sendable {
    public var endpoint: KaikoEndpoint
    public var apiKey: APIKey?
    /// Records per page, 1...1000 (the API's maximum, which keeps request counts lowest).
    public var pageSize: Int
    /// The order pages are requested in. Ascending (oldest first) is the natural order for
    /// loading; the result of `fetchWindow` is sorted by hour either way.
    public var sort: PageOrder
    /// Process-wide request rate; `nil` is unlimited (Kaiko allows 6000 per minute per key).
    public var maxRequestsPerSecond: Double?
    public var retry: RetryPolicy
    /// Per request: connect, send and receive the whole body.
    public var requestTimeout: Duration
    /// A body larger than this is refused (a page of 1000 hours is about 1 MB).
    public var maxBodyBytes: Int
    /// The proxy and the extra CAs requests go through.
    public var egress: Egress

    public init(
        endpoint: KaikoEndpoint,
        apiKey: APIKey?,
        pageSize: Int = 1000,
        sort: PageOrder = .ascending,
        maxRequestsPerSecond: Double? = 50,
        retry: RetryPolicy = RetryPolicy(),
        requestTimeout: Duration = .seconds(30),
        maxBodyBytes: Int = 32 * 1024 * 1024,
        egress: Egress = Egress()
    ) {
        self.egress = egress
        self.endpoint = endpoint
        self.apiKey = apiKey
        self.pageSize = pageSize
        self.sort = sort
        self.maxRequestsPerSecond = maxRequestsPerSecond
        self.retry = retry
        self.requestTimeout = requestTimeout
        self.maxBodyBytes = maxBodyBytes
    }
}

public enum PageOrder: String, Sendable {
    case ascending = "asc"
    case descending = "desc"
}
