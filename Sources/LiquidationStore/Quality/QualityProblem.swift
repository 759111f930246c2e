import FoundationEssentials

/// One finding of `liqsync verify`.
public struct QualityProblem: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        /// Hours missing below the watermark (the dense-series promise broken).
        case gap
        /// A row whose hour does not start on a whole hour.
        case misalignedHour = "misaligned_hour"
        /// long + short != total (trades exactly, amounts within a relative 1e-9).
        case longShortMismatch = "long_short_mismatch"
        /// An hour's totals differ from the sum of its exchange rows.
        case exchangeSumMismatch = "exchange_sum_mismatch"
        /// A count or an amount below zero.
        case negativeValue = "negative_value"
        /// An exchange row whose hour is not in `token_interval`, or whose exchange is not in
        /// `liquidations.exchange` (what foreign keys checked before migration 0007).
        case orphanExchangeRow = "orphan_exchange_row"
        /// An hourly row whose asset is not in `liquidations.asset` (what a foreign key checked
        /// before migration 0008).
        case orphanHour = "orphan_hour"
        /// A day whose rollup row (`token_day`, `token_day_exchange`, migration 0012) is missing,
        /// has no stored hours, or differs from the sums of its stored hours; or a month whose
        /// rollup row (`token_month`, `token_month_exchange`, migration 0013) is missing, has no
        /// stored days, or differs from the sums of its days; or an exchange and month of
        /// `liquidations.exchange_monthly` (migration 0015, asset `(all assets)`) that differs
        /// from the sums of every asset's month.
        case rollupMismatch = "rollup_mismatch"
    }

    public let kind: Kind
    public let asset: String
    public let start: Date
    /// For gaps: the end of the missing range (exclusive).
    public let end: Date?
    public let detail: String
}
