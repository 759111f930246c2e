import LiquidationModel

/// `operation` ran past its deadline and was cancelled.
struct DeadlineExceeded: Error, CustomStringConvertible {
    let limit: Duration
    var description: String { "no complete answer within \(limit.formattedSeconds)" }
}

/// Runs `operation`, cancelling it if it has not finished within `limit`.
///
/// AsyncHTTPClient's own deadline stops at the response head: a body that trickles in (a byte
/// every few seconds, which also defeats a read timeout) would hold up the asset, and the chunks
/// waiting behind it, for as long as the server likes. This bounds the whole exchange.
func withDeadline<T: Sendable>(
    _ limit: Duration, _ operation: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try await Task.sleep(for: limit)
            return nil
        }
        defer { group.cancelAll() }
        // The first child to finish decides; the other is cancelled on the way out.
        guard let first = try await group.next(), let value = first else {
            try Task.checkCancellation()
            throw DeadlineExceeded(limit: limit)
        }
        return value
    }
}
