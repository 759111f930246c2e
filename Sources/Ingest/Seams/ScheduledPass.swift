import LiquidationModel

/// What the scheduler runs every poll interval: a `SyncPass` in production; in tests, a pass
/// that fails or stalls on cue, so back-off, health and shutdown are tested without I/O.
public protocol ScheduledPass: Sendable {
    /// The assets to sync now (read afresh every pass).
    func dueAssets() async throws -> [AssetCode]
    /// One pass over `assets`, at most a few at a time; every asset gets an outcome.
    func run(_ assets: [AssetCode]) async -> [LoadOutcome]
}

extension SyncPass: ScheduledPass {
    public func dueAssets() async throws -> [AssetCode] {
        try await dueAssets(only: nil)
    }
}
