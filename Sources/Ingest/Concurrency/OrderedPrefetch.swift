/// Fetches `elements` ahead of their consumer and hands the results to `consume` strictly in the
/// elements' order, in the calling task. While element n is consumed, the next `ahead` are being
/// fetched; while it is awaited, it and the `ahead - 1` after it are. So `ahead` fetches are in
/// flight at any moment (one when `ahead` is 0, which fetches and consumes one after another)
/// and at most `ahead + 1` results are held. `consume` returns false to stop: the fetches still
/// in flight are cancelled and their results dropped.
///
/// Given a `budget` shared with other loops (`FetchAhead`), a fetch ahead of the element needed
/// next also needs a share of it, taken without waiting and given back once that element has
/// been consumed: when none is free, the loop fetches the element it needs when it needs it (as
/// with `ahead` 0) and tries again after the next one. The element needed next never needs a
/// share, so no loop waits for another. The budget also learns what each result weighs
/// (`weight`, from its arrival until it has been consumed) and when the consumer had to wait for
/// the element it needs: what it adapts to.
///
/// Sync and backfill load an asset's chunks through it: the next chunks are on their way while
/// one is written, so the API's latency hides behind the database's work, yet chunks are still
/// committed one after another and the watermark stays contiguous. A plain loop, as
/// `boundedConcurrentMap`.
public func forEachPrefetched<Element: Sendable, Value: Sendable>(
    _ elements: [Element], ahead: Int, budget: FetchAhead? = nil,
    weight: @escaping @Sendable (Value) -> Int = { _ in 0 },
    fetch: @escaping @Sendable (Element) async throws -> Value,
    consume: (Element, Result<Value, any Error>) async -> Bool
) async {
    let ahead = max(0, ahead)
    // Positions whose fetch holds a share of the budget, until they are consumed.
    var shared = Set<Int>()
    defer { budget?.giveBack(shared.count) }
    func mayFetchAhead(_ position: Int) -> Bool {
        guard let budget else { return true }
        guard budget.tryTake() else { return false }
        shared.insert(position)
        return true
    }
    await withTaskGroup(of: Arrival<Value>.self) { group in
        var arrived: [Int: Arrival<Value>] = [:]
        var started = 0
        // What arrived and was not consumed (a stop, a cancellation) weighs nothing any more.
        defer { budget?.release(bytes: arrived.values.reduce(0) { $0 + $1.bytes }) }
        // Inline loops, not a nested function adding to the group (see boundedConcurrentMap).
        for index in elements.indices {
            if started == index {
                let element = elements[index]
                group.addTask { await fetchResult(index, element, shared: false, fetch, weight, budget) }
                started += 1
            }
            var waited = false
            while true {
                // Ahead as far as allowed: while `index` is awaited, it and the `ahead - 1` after
                // it; once it has arrived, the `ahead` after it. Tried again after each arrival
                // and once the budget has heard the writer waits: shares free up meanwhile.
                let horizon = arrived[index] == nil ? index + ahead - 1 : index + ahead
                while started < elements.count && started <= horizon && mayFetchAhead(started) {
                    let (position, element) = (started, elements[started])
                    group.addTask { await fetchResult(position, element, shared: true, fetch, weight, budget) }
                    started += 1
                }
                if arrived[index] != nil { break }
                if !waited && index > 0 {
                    waited = true
                    budget?.writerWaited()
                    continue
                }
                guard let arrival = await group.next() else { break }
                arrived[arrival.position] = arrival
            }
            guard let arrival = arrived.removeValue(forKey: index) else { break }
            let proceed = await consume(elements[index], arrival.result)
            budget?.release(bytes: arrival.bytes)
            if shared.remove(index) != nil { budget?.giveBack() }
            guard proceed else {
                group.cancelAll()
                break
            }
        }
        // The fetches still running, cancelled or not: what they bring is released above.
        while let arrival = await group.next() { arrived[arrival.position] = arrival }
    }
}

/// A fetch's result, kept as a value for the consumer to meet in order, and what it weighs.
private struct Arrival<Value: Sendable>: Sendable {
    let position: Int
    let result: Result<Value, any Error>
    let bytes: Int
}

private func fetchResult<Element: Sendable, Value: Sendable>(
    _ position: Int, _ element: Element, shared: Bool, _ fetch: @Sendable (Element) async throws -> Value,
    _ weight: @Sendable (Value) -> Int, _ budget: FetchAhead?
) async -> Arrival<Value> {
    do {
        let value = try await fetch(element)
        let bytes = budget == nil ? 0 : weight(value)
        budget?.arrived(bytes: bytes, shared: shared)
        return Arrival(position: position, result: .success(value), bytes: bytes)
    } catch {
        budget?.arrived(bytes: 0, shared: shared)
        return Arrival(position: position, result: .failure(error), bytes: 0)
    }
}
