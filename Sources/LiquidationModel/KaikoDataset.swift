/// Facts about the upstream dataset that shape defaults and warnings.
public enum KaikoDataset {
    /// Token-level liquidation volumes are documented as available since 2025-01-08 (UTC).
    /// Hours before that have no data upstream: zero rows there would mean "no data", not
    /// "no liquidations".
    public static let firstHour = UTCHour(containing: 1_736_294_400)

    /// Where loading starts for a requested first hour: never before the dataset's first hour,
    /// where Kaiko's silence would be stored as quiet hours, unless `includingEarlier` (an operator
    /// who knows the source holds data there) keeps the request.
    public static func loadStart(requested: UTCHour, includingEarlier: Bool) -> UTCHour {
        includingEarlier ? requested : max(requested, firstHour)
    }
}
