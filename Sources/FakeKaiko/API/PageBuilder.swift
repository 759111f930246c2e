/// Cuts a query's buckets into one page and says where the next one starts.
struct PageBuilder {
    let dataset: FakeDataset

    struct Page {
        var intervals: [FakeInterval]
        /// The query to continue with, when more data exists.
        var next: LiquidationQuery?
    }

    func page(for query: LiquidationQuery, now: Int64) -> Page {
        let width = query.intervalHours * 3600
        // Nothing past the published hours can have data: do not walk into the future.
        let published = dataset.publishedEnd(now: now)
        let lastBucketStart = min(query.end - 1, published - 1)
        let lastAligned = lastBucketStart - ((lastBucketStart % width) + width) % width
        let firstBucket = max(query.start, dataset.configuration.datasetStart - ((dataset.configuration.datasetStart % width) + width) % width)
        var intervals: [FakeInterval] = []
        var bucket: Int64
        if query.ascending {
            bucket = query.cursor ?? firstBucket
            while bucket <= lastAligned {
                if let interval = dataset.bucket(asset: query.asset, start: bucket, intervalHours: query.intervalHours, now: now) {
                    if intervals.count == query.pageSize {
                        var next = query
                        next.cursor = bucket
                        return Page(intervals: intervals, next: next)
                    }
                    intervals.append(interval)
                }
                bucket += width
            }
        } else {
            bucket = query.cursor.map { $0 - width } ?? lastAligned
            while bucket >= firstBucket {
                if let interval = dataset.bucket(asset: query.asset, start: bucket, intervalHours: query.intervalHours, now: now) {
                    if intervals.count == query.pageSize {
                        var next = query
                        next.cursor = bucket + width
                        return Page(intervals: intervals, next: next)
                    }
                    intervals.append(interval)
                }
                bucket -= width
            }
        }
        return Page(intervals: intervals, next: nil)
    }
}
