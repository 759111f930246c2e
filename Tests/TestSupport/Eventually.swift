/// Polls `condition` until it holds or `timeout` passes; returns whether it held. For effects
/// that happen asynchronously elsewhere: a server closing a session, a stand-in answering.
public func eventually(
    timeout: Duration = .seconds(10), every interval: Duration = .milliseconds(20),
    _ condition: () async throws -> Bool
) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while true {
        if try await condition() { return true }
        if ContinuousClock.now >= deadline { return false }
        try? await Task.sleep(for: interval)
    }
}
