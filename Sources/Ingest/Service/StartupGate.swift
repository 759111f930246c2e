/// Opens once the parts of the service that start on their own (the metrics server binding its
/// address) are up, so the scheduler tells systemd READY=1 only for a service that really runs.
/// Waiting ends early, with `false`, when the waiting task is cancelled (a part failed).
public final class StartupGate: Sendable {
    private let stream: AsyncStream<Void>
    private let continuation: AsyncStream<Void>.Continuation

    /// A gate that is open from the start.
    public static var open: StartupGate {
        let gate = StartupGate()
        gate.open()
        return gate
    }

    public init() {
        (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    public func open() {
        continuation.yield(())
    }

    /// True once open; false if the task was cancelled first.
    public func wait() async -> Bool {
        var iterator = stream.makeAsyncIterator()
        return await iterator.next() != nil && !Task.isCancelled
    }
}
