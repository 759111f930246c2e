import KaikoAPI
import LiquidationModel

/// Where sync and backfill get an asset's records for a window: Kaiko's API through
/// `KaikoClient` in production, a scripted source in tests.
public protocol WindowSource: Sendable {
    /// Every record of `window`, validated, sorted by hour.
    func fetchWindow(asset: AssetCode, window: HourWindow) async throws -> FetchedWindow
}

extension KaikoClient: WindowSource {}
