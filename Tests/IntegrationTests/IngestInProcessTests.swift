import Foundation
import Ingest
import KaikoAPI
import LiquidationModel
import LiquidationStore
import Logging
import Postgres
import Synchronization
import Testing

/// Sync and backfill passes in-process, against the real database, with the API replaced by a
/// scripted source and, where a write must fail, the writer by one that fails on cue: no
/// subprocess, no stand-in server.
@Suite("Ingest in-process: sync and backfill passes through their seams")
struct IngestInProcessTests {
    static let start = UTCHour(containing: 1_740_787_200)  // 2025-03-01T00:00:00Z
    let logger = Logger(label: "test")

    /// Every hour of a window with one liquidation on one exchange; fails the windows told to.
    final class ScriptedSource: WindowSource {
        let failures: @Sendable (AssetCode, HourWindow) -> (any Error)?
        let latency: Duration
        let requests = Mutex<[HourWindow]>([])
        /// Requests in flight now, and the most seen at once.
        let inFlight = Mutex((now: 0, most: 0))
        /// Requests in flight at each arrival (this one included).
        let arrivals = Mutex<[Int]>([])
        /// Once this many are in flight at an arrival, every answer after says to slow down (as
        /// a 429 retried would); the arrival it began at.
        let slowDownOnceInFlight: Int?
        let slowingDownSince = Mutex<Int?>(nil)

        init(
            latency: Duration = .zero, slowDownOnceInFlight: Int? = nil,
            failing failures: @escaping @Sendable (AssetCode, HourWindow) -> (any Error)? = { _, _ in nil }
        ) {
            self.latency = latency
            self.slowDownOnceInFlight = slowDownOnceInFlight
            self.failures = failures
        }

        func fetchWindow(asset: AssetCode, window: HourWindow) async throws -> FetchedWindow {
            requests.withLock { $0.append(window) }
            let atArrival = inFlight.withLock { inFlight in
                inFlight.now += 1
                inFlight.most = max(inFlight.most, inFlight.now)
                return inFlight.now
            }
            let arrival = arrivals.withLock { arrivals in
                arrivals.append(atArrival)
                return arrivals.count - 1
            }
            if let threshold = slowDownOnceInFlight, atArrival >= threshold {
                slowingDownSince.withLock { $0 = $0 ?? arrival }
            }
            defer { inFlight.withLock { $0.now -= 1 } }
            if latency > .zero { try await Task.sleep(for: latency) }
            if let error = failures(asset, window) { throw error }
            var fetched = FetchedWindow(asset: asset, window: window)
            if slowingDownSince.withLock({ $0 }) != nil { fetched.slowDowns = 1 }
            let figures = LiquidationFigures(
                totalTrades: 3, totalAmount: DecimalAmount("30.5")!, longTrades: 1, longAmount: DecimalAmount("10.25")!,
                shortTrades: 2, shortAmount: DecimalAmount("20.25")!)
            fetched.records = window.hours.map {
                IntervalRecord(hour: $0, totals: figures, exchanges: [ExchangeBreakdown(exchange: "bbit", figures: figures)])
            }
            fetched.pages = 1
            fetched.requests = 1
            return fetched
        }
    }

    /// The real writer, but the write of a chosen chunk fails with a chosen error.
    final class FailingWriter: ChunkWriting {
        let error: any Error
        let failOnChunk: Int
        let written = Mutex(0)

        init(error: any Error, failOnChunk: Int) {
            self.error = error
            self.failOnChunk = failOnChunk
        }

        func write(
            _ chunk: ChunkWrite, on connection: PostgresConnection,
            alsoInTransaction: (@Sendable (isolated PostgresConnection) throws -> Void)?
        ) async throws -> ChunkWriteResult {
            let number = written.withLock { count in
                count += 1
                return count
            }
            if number == failOnChunk { throw error }
            return try await ChunkWriter().write(chunk, on: connection, alsoInTransaction: alsoInTransaction)
        }
    }

    /// The real writer; counts the writes in progress at once, and may do something first.
    final class WatchedWriter: ChunkWriting {
        let before: @Sendable (PostgresConnection) async throws -> Void
        let inProgress = Mutex((now: 0, most: 0))

        init(before: @escaping @Sendable (PostgresConnection) async throws -> Void = { _ in }) {
            self.before = before
        }

        func write(
            _ chunk: ChunkWrite, on connection: PostgresConnection,
            alsoInTransaction: (@Sendable (isolated PostgresConnection) throws -> Void)?
        ) async throws -> ChunkWriteResult {
            inProgress.withLock { $0.now += 1; $0.most = max($0.most, $0.now) }
            defer { inProgress.withLock { $0.now -= 1 } }
            try await before(connection)
            return try await ChunkWriter().write(chunk, on: connection, alsoInTransaction: alsoInTransaction)
        }
    }

    func prepared(_ assets: [String]) async throws -> (TestDatabase, ConnectionPool) {
        let database = try await TestDatabase.create()
        try await database.withConnection { connection async throws in
            _ = try await MigrationRunner(connection: connection, migrations: try Migration.embedded(), logger: logger).migrate()
            _ = try await AssetStore(connection: connection).add(assets.map { try AssetCode(validating: $0) }, syncFrom: Self.start)
        }
        return (database, ConnectionPool(configuration: database.configuration, logger: logger))
    }

    /// 2,500 settled hours after `start`: three chunks of at most 1,000.
    let now: @Sendable () -> Date = { Date(timeIntervalSince1970: Double(Self.start.advanced(by: 2500).secondsSinceEpoch + 1200)) }

    /// With chunks fetched ahead or one after another, the same outcome.
    @Test(arguments: [0, LoadSettings.defaultPrefetchChunks])
    func aSyncPassCommitsChunkByChunkAndStopsAnAssetAtItsFirstFailure(prefetch: Int) async throws {
        let (database, pool) = try await prepared(["btc", "eth"])
        let source = ScriptedSource(failing: { asset, window in
            asset.rawValue == "eth" && window.start == Self.start.advanced(by: 1000)
                ? KaikoError.retriesExhausted(asset: asset, window: window, attempts: 8, lastFailure: "HTTP 503") : nil
        })
        let syncer = AssetSyncer(
            pipeline: WindowPipeline(source: source, settings: LoadSettings(prefetchChunks: prefetch), logger: logger, now: now))
        let outcomes = await SyncPass(syncer: syncer, pool: pool).run([try AssetCode(validating: "btc"), try AssetCode(validating: "eth")])
        await pool.closeAll()

        let btc = try #require(outcomes.first { $0.asset.rawValue == "btc" })
        #expect(btc.completed && btc.chunks == 3 && btc.hours == 2500)
        #expect(btc.rows.inserted == 5000 && btc.watermark == Self.start.advanced(by: 2500))
        let eth = try #require(outcomes.first { $0.asset.rawValue == "eth" })
        #expect(eth.failureKind == FailureKind.temporary && eth.chunks == 1)
        // eth's third chunk: fetched ahead at most (and then dropped), never asked for without prefetching.
        let thirdChunks = source.requests.withLock { $0 }.filter { $0.start == Self.start.advanced(by: 2000) }.count
        #expect(prefetch == 0 ? thirdChunks == 1 : thirdChunks <= 2, "\(thirdChunks) requests for the third chunk")
        let (watermark, lastError) = try await database.withConnection { connection async throws in
            try await connection.query("SELECT watermark, last_error FROM liquidations.asset WHERE asset = 'eth'")
                .rows[0].decode(UTCHour.self, String?.self)
        }
        #expect(watermark == Self.start.advanced(by: 1000), "the committed chunk stays")
        #expect(lastError?.contains("HTTP 503") == true)
    }

    /// Assets in the steady state: the last settled hour is the only new one.
    func upToDate(_ database: TestDatabase, _ assets: [String]) async throws {
        let updated = try await database.withConnection { connection async throws in
            try await connection.query(
                "UPDATE liquidations.asset SET watermark = \(Self.start.advanced(by: 2499)) WHERE asset = ANY(\(assets)::text[])"
            ).affectedRows
        }
        #expect(updated == assets.count)
    }

    /// Waiting for the API holds no connection: with two writers, twenty assets have their
    /// request in flight at once, and no more than two chunks are written at a time.
    @Test func requestsInFlightAreNotBoundByDatabaseConnections() async throws {
        let names = (0..<40).map { String(format: "a%02d", $0) }
        let (database, pool) = try await prepared(names)
        try await upToDate(database, names)
        let source = ScriptedSource(latency: .milliseconds(200))
        let writer = WatchedWriter()
        let syncer = AssetSyncer(
            pipeline: WindowPipeline(
                source: source, writer: writer, settings: LoadSettings(concurrency: 2, requestsInFlight: 20), logger: logger, now: now))
        let outcomes = await SyncPass(syncer: syncer, pool: pool).run(try names.map { try AssetCode(validating: $0) })
        await pool.closeAll()
        #expect(outcomes.allSatisfy { $0.completed && $0.chunks == 1 && $0.watermark == Self.start.advanced(by: 2500) })
        #expect(source.requests.withLock { $0.count } == 40, "one request per asset")
        let requests = source.inFlight.withLock { $0.most }
        let writes = writer.inProgress.withLock { $0.most }
        #expect(requests > 2 && requests <= 20, "\(requests) requests in flight at most")
        #expect(writes <= 2, "\(writes) writes at once")
    }

    /// At the default settings the chunks fetched ahead adapt: while the writers wait for a slow
    /// API, the requests in flight grow past what two assets with two chunks ahead allowed; once
    /// the API says to slow down, they fall to one chunk ahead (each asset's next one aside).
    /// Every hour is loaded in order either way.
    @Test func requestsInFlightGrowWhileTheAPIIsSlowAndFallWhenItSaysToSlowDown() async throws {
        let (database, pool) = try await prepared(["btc", "eth"])
        // A second a request: the writers wait for the API even when a loaded machine makes
        // each write slow (the limit grows only while they wait), and seven in flight is one
        // more than the old bound allowed.
        let source = ScriptedSource(latency: .seconds(1), slowDownOnceInFlight: 7)
        let settings = LoadSettings(maxChunkHours: 50, concurrency: 2)
        let syncer = AssetSyncer(pipeline: WindowPipeline(source: source, settings: settings, logger: logger, now: now))
        let outcomes = await SyncPass(syncer: syncer, pool: pool).run([try AssetCode(validating: "btc"), try AssetCode(validating: "eth")])
        await pool.closeAll()
        #expect(outcomes.allSatisfy { $0.completed && $0.chunks == 50 && $0.watermark == Self.start.advanced(by: 2500) }, "\(outcomes)")
        let arrivals = source.arrivals.withLock { $0 }
        let since = try #require(source.slowingDownSince.withLock { $0 }, "never 7 in flight: \(arrivals)")
        #expect(arrivals[since] > settings.concurrency * (1 + 2), "more than the old fixed two chunks ahead per asset")
        // Halved at most every half second, from at most 64: 32, 16, 8, 4, 2, 1 within three
        // seconds; then each of the two assets has its next chunk and one more in flight.
        let last = arrivals.suffix(10)
        #expect(arrivals.count - since > 30 && last.allSatisfy { $0 <= 2 + 1 }, "\(arrivals) from \(since)")
        let stored = try await database.withConnection { connection async throws in
            try await connection.query("SELECT count(*) FROM liquidations.token_interval").scalar(Int64.self)
        }
        #expect(stored == 5000 && source.requests.withLock { $0.count } == 100, "one request per chunk, none dropped")
    }

    /// A chunk commits only while the pass's claim session holds the asset's claim: once that
    /// session is gone (another liqsync may have the asset by then), the chunk is refused.
    @Test func aChunkIsRefusedOnceThePassHasLostTheAssetsClaim() async throws {
        let (database, pool) = try await prepared(["btc"])
        try await upToDate(database, ["btc"])
        let writer = WatchedWriter(before: { connection in
            // The claim session dies (a dropped connection, an idle timeout) while the chunk is written.
            try await connection.query(
                """
                SELECT pg_terminate_backend(session_pid) FROM liquidations.asset_claim WHERE session_pid <> pg_backend_pid()
                """)
            try await Task.sleep(for: .milliseconds(200))
        })
        let syncer = AssetSyncer(
            pipeline: WindowPipeline(source: ScriptedSource(), writer: writer, settings: LoadSettings(), logger: logger, now: now))
        let outcome = try #require(await SyncPass(syncer: syncer, pool: pool).run([try AssetCode(validating: "btc")]).first)
        await pool.closeAll()
        #expect(outcome.failureKind == FailureKind.temporary && outcome.chunks == 0)
        let (watermark, lastError, hours) = try await database.withConnection { connection async throws in
            try await connection.query(
                """
                SELECT watermark, last_error, (SELECT count(*) FROM liquidations.token_interval)
                FROM liquidations.asset WHERE asset = 'btc'
                """
            ).rows[0].decode(UTCHour.self, String?.self, Int64.self)
        }
        #expect(watermark == Self.start.advanced(by: 2499) && hours == 0, "nothing of the chunk was written")
        #expect(lastError?.contains("claim on btc was lost") == true, "\(lastError ?? "no error recorded")")
    }

    /// A server that ends idle sessions (`idle_session_timeout`) does not end the pass's claim
    /// session while every request of the pass is in flight for longer than that.
    @Test func theClaimSessionOutlivesAServersIdleSessionTimeout() async throws {
        let (database, pool) = try await prepared(["btc"])
        try await upToDate(database, ["btc"])
        try await database.withConnection { connection async throws in
            try await connection.execute(script: """
                DO $$ BEGIN
                    EXECUTE format('ALTER DATABASE %I SET idle_session_timeout = ''1s''', current_database());
                END $$;
                """)
        }
        let syncer = AssetSyncer(
            pipeline: WindowPipeline(source: ScriptedSource(latency: .seconds(3)), settings: LoadSettings(), logger: logger, now: now))
        let outcome = try #require(await SyncPass(syncer: syncer, pool: pool).run([try AssetCode(validating: "btc")]).first)
        await pool.closeAll()
        #expect(outcome.completed, "\(outcome.syncSummary)")
        #expect(outcome.chunks == 1)
    }

    /// A pass that lost the asset to another liqsync (its claim session ended, the other took the
    /// claim and synced) records its failed run but leaves the asset's state, the other's, alone.
    @Test func aStaleFailureDoesNotOverwriteTheStateOfTheLiqsyncThatTookTheAsset() async throws {
        let (database, pool) = try await prepared(["btc"])
        try await upToDate(database, ["btc"])
        let other = try await database.connect()
        let writer = WatchedWriter(before: { connection in
            try await connection.query(
                """
                SELECT pg_terminate_backend(session_pid) FROM liquidations.asset_claim WHERE session_pid <> pg_backend_pid()
                """)
            try await Task.sleep(for: .milliseconds(200))
            // Another liqsync takes the asset and succeeds with it.
            #expect(try await AssetClaimStore(holder: "another liqsync", lease: .seconds(60)).tryClaim(try AssetCode(validating: "btc"), on: other))
            try await other.query("UPDATE liquidations.asset SET last_error = NULL, last_synced_at = now() WHERE asset = 'btc'")
        })
        let syncer = AssetSyncer(
            pipeline: WindowPipeline(source: ScriptedSource(), writer: writer, settings: LoadSettings(), logger: logger, now: now))
        let outcome = try #require(await SyncPass(syncer: syncer, pool: pool).run([try AssetCode(validating: "btc")]).first)
        await pool.closeAll()
        #expect(outcome.failureKind == FailureKind.temporary)
        let (lastError, failedRuns) = try await database.withConnection { connection async throws in
            try await connection.query(
                """
                SELECT last_error, (SELECT count(*) FROM liquidations.sync_run WHERE status = 'failed')
                FROM liquidations.asset WHERE asset = 'btc'
                """
            ).rows[0].decode(String?.self, Int64.self)
        }
        await other.close()
        #expect(lastError == nil, "the other liqsync's success stands: \(lastError ?? "")")
        #expect(failedRuns == 1, "the failed run is in the history all the same")
    }

    @Test(arguments: [("42501", FailureKind.access), ("40P01", .temporary), ("23514", .internalError)])
    func aWriteTheDatabaseRefusesIsClassifiedOnce(sqlState: String, kind: FailureKind) async throws {
        let (database, pool) = try await prepared(["btc"])
        let refusal = StoreError.database(
            operation: "writing btc", PostgresError(code: .server, message: "refused", sqlState: sqlState))
        let syncer = AssetSyncer(
            pipeline: WindowPipeline(
                source: ScriptedSource(), writer: FailingWriter(error: refusal, failOnChunk: 2), settings: LoadSettings(),
                logger: logger, now: now))
        let outcome = try #require(await SyncPass(syncer: syncer, pool: pool).run([try AssetCode(validating: "btc")]).first)
        await pool.closeAll()
        #expect(outcome.failureKind == kind)
        #expect(outcome.chunks == 1)
        let runs = try await database.withConnection { connection async throws in
            try await connection.query("SELECT status FROM liquidations.sync_run ORDER BY run_id").rows.map { try $0.decode(String.self) }
        }
        #expect(runs == ["ok", "failed"])
    }

    @Test func anAssetAnotherProcessHoldsIsSkippedUntouched() async throws {
        let (database, pool) = try await prepared(["btc"])
        let other = try await database.connect()
        #expect(try await AssetClaimStore(holder: "another liqsync", lease: .seconds(60)).tryClaim(try AssetCode(validating: "btc"), on: other))
        let source = ScriptedSource()
        let syncer = AssetSyncer(pipeline: WindowPipeline(source: source, settings: LoadSettings(), logger: logger, now: now))
        let outcome = try #require(await SyncPass(syncer: syncer, pool: pool).run([try AssetCode(validating: "btc")]).first)
        await pool.closeAll()
        await other.close()
        #expect({ if case .notClaimed = outcome.end { true } else { false } }())
        #expect(source.requests.withLock { $0.isEmpty })
    }

    @Test func aBackfillPassLoadsSeveralAssetsAndLeavesNoUnknownCodeTracked() async throws {
        let (database, pool) = try await prepared([])
        let source = ScriptedSource(failing: { asset, _ in
            asset.rawValue == "nosuch" ? KaikoError.unknownAsset(asset, message: "Unknown token") : nil
        })
        let runner = BackfillRunner(
            pipeline: WindowPipeline(source: source, settings: LoadSettings(concurrency: 2), logger: logger), progress: BackfillProgress())
        let pass = BackfillPass(runner: runner, pool: pool)
        let assets = try ["btc", "nosuch", "eth"].map { try AssetCode(validating: $0) }
        let plans = try await pass.plan(
            assets, from: Self.start, to: Self.start.advanced(by: 1500), restart: false, settledEnd: Self.start.advanced(by: 2000))
        #expect(plans.map(\.chunks.count) == [2, 2, 2])
        let results = await pass.run(plans, restart: false)
        await pool.closeAll()
        #expect(results.map(\.plan.asset) == assets, "in the order asked")
        for result in results {
            let outcome = result.outcome
            if result.plan.asset.rawValue == "nosuch" {
                #expect(outcome.failureKind == .badData, "\(outcome.end)")
            } else {
                #expect(outcome.completed && outcome.hours == 1500 && outcome.rows.inserted == 3000, "\(outcome.end)")
            }
        }
        let tracked = try await database.withConnection { connection async throws in
            try await connection.query("SELECT string_agg(asset, ',' ORDER BY asset) FROM liquidations.asset").scalar(String.self)
        }
        #expect(tracked == "btc,eth")
    }
}
