/// Facts about the upstream dataset that shape defaults and warnings.
public enum KaikoDataset {
    /// Token-level liquidation volumes are documented as available since 2025-01-08 (UTC).
    /// Hours before that have no data upstream: zero rows there would mean "no data", not
    /// "no liquidations".
    public static let firstHour = UTCHour(containing: 1_736_294_400)
}
