import Synchronization

/// Chunks that may be fetched ahead of the ones being written, shared by every asset a command
/// or a sync pass loads at once (`--prefetch`).
///
/// A chunk fetched ahead waits in memory, as records, until its asset's writer gets to it: with
/// the budget per asset, `--concurrency 4 --prefetch 2` held up to twelve chunks even when the
/// API answered at once and writing set the pace (on two cores, it does). Shared, the same
/// options hold at most 4 + 2: one chunk per asset in progress, which needs no share of the
/// budget (so an asset never waits for another to progress), and the two fetched ahead wherever
/// a share was free. A lone asset still fetches two ahead, which is what hides the API's latency.
public final class PrefetchBudget: Sendable {
    private let available: Mutex<Int>

    public init(chunks: Int) {
        available = Mutex(max(0, chunks))
    }

    /// Takes a share if one is free; never waits.
    func tryTake() -> Bool {
        available.withLock { available in
            guard available > 0 else { return false }
            available -= 1
            return true
        }
    }

    func giveBack(_ count: Int = 1) {
        available.withLock { $0 += count }
    }

    /// Shares free now.
    var availableChunks: Int { available.withLock { $0 } }
}
