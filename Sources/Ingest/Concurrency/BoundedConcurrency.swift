/// Runs `operation` on each element, at most `limit` at a time, and returns the results in the
/// elements' order. Once the calling task is cancelled no further element is started; those
/// elements' results are nil (the ones running see the cancellation themselves).
///
/// The one bounded task group that sync and backfill passes share. Written as a plain loop: a
/// nested function that added tasks to the group crashed a release build (commit 22ac5fc).
public func boundedConcurrentMap<Element: Sendable, Result: Sendable>(
    _ elements: [Element], limit: Int, _ operation: @escaping @Sendable (Element) async -> Result
) async -> [Result?] {
    let width = max(1, limit)
    return await withTaskGroup(of: (Int, Result).self, returning: [Result?].self) { group in
        var results = [Result?](repeating: nil, count: elements.count)
        var next = 0
        while next < min(width, elements.count) {
            let index = next
            group.addTask { (index, await operation(elements[index])) }
            next += 1
        }
        while let (index, result) = await group.next() {
            results[index] = result
            if next < elements.count && !Task.isCancelled {
                let index = next
                group.addTask { (index, await operation(elements[index])) }
                next += 1
            }
        }
        return results
    }
}
