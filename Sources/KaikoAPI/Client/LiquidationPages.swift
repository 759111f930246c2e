import FoundationEssentials
import LiquidationModel

/// One validated page of records.
public struct LiquidationPage: Sendable {
    public let number: Int
    public let records: [IntervalRecord]
    public let dataVersion: String?
    /// HTTP requests this page took, retries included.
    public let requests: Int
    /// Of those, the ones answered with a 429 or not within the deadline.
    public var slowDowns = 0
}

/// The pages of a window, fetched one at a time as the sequence is iterated: following
/// `next_url` while it is present and not empty (or, when only a `continuation_token` came, the
/// endpoint with that token, as Kaiko documents), refusing one that leaves the configured
/// origin (the API key goes nowhere else), that repeats (a loop), or that would make the window
/// take more pages than it has hours (no honest pagination needs that many).
public struct LiquidationPages: AsyncSequence, Sendable {
    public typealias Element = LiquidationPage

    let client: KaikoClient
    let asset: AssetCode
    let window: HourWindow

    public func makeAsyncIterator() -> Iterator {
        Iterator(client: client, asset: asset, window: window)
    }

    public struct Iterator: AsyncIteratorProtocol {
        let client: KaikoClient
        let asset: AssetCode
        let window: HourWindow
        private var nextURL: String?
        private var validator: RecordValidator
        private var followed: Set<String> = []
        private var pageNumber = 0
        /// Every page but the last brings at least one hour of the window, each hour once.
        private var maximumPages: Int { window.hourCount + 1 }

        init(client: KaikoClient, asset: AssetCode, window: HourWindow) {
            self.client = client
            self.asset = asset
            self.window = window
            self.validator = RecordValidator(asset: asset, window: window)
            self.nextURL = window.isEmpty ? nil : client.urls.firstPage(asset: asset, window: window)
        }

        public mutating func next() async throws -> LiquidationPage? {
            guard let url = nextURL else { return nil }
            pageNumber += 1
            let response = try await client.fetchPage(url: url, asset: asset, window: window, page: pageNumber)
            let records = try validator.validate(response.wire.data)
            nextURL = try nextPageURL(response.wire)
            return LiquidationPage(
                number: pageNumber, records: records, dataVersion: response.wire.query?.dataVersion,
                requests: response.attempts, slowDowns: response.slowDowns)
        }

        private mutating func nextPageURL(_ wire: WireResponse) throws(KaikoError) -> String? {
            let next: String
            if let url = wire.nextURL, !url.isEmpty {
                next = url
            } else if let token = wire.continuationToken, !token.isEmpty {
                next = client.urls.continuation(asset: asset, token: token)
            } else {
                return nil
            }
            guard let components = URLComponents(string: next), client.configuration.endpoint.isSameOrigin(components)
            else {
                let origin = URLComponents(string: next).map { "\($0.scheme ?? "?")://\($0.host ?? "?")" } ?? "an unparseable URL"
                throw .foreignNextURL(asset: asset, window: window, origin: origin)
            }
            guard followed.insert(next).inserted else {
                throw .paginationLoop(asset: asset, window: window, page: pageNumber)
            }
            guard pageNumber < maximumPages else {
                throw .tooManyPages(asset: asset, window: window, pages: pageNumber)
            }
            return next
        }
    }
}
