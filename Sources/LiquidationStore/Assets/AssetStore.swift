import FoundationEssentials
import LiquidationModel
import Logging
import Postgres

/// The tracked assets: which ones, from when, enabled or not.
public struct AssetStore: Sendable {
    public let connection: PostgresConnection

    public init(connection: PostgresConnection) {
        self.connection = connection
    }

    public enum AddOutcome: Sendable, Equatable {
        case added(AssetCode, syncFrom: UTCHour)
        /// Already tracked; its history start is left as it was (a backfill loads earlier hours).
        case alreadyTracked(AssetCode, syncFrom: UTCHour)
    }

    /// Starts tracking each asset from `syncFrom` (re-reading `lookbackHours`, default 24, on
    /// each sync), in one transaction. Assets already tracked keep their settings: moving
    /// `sync_from` back would claim hours that are not loaded.
    public func add(_ assets: [AssetCode], syncFrom: UTCHour, lookbackHours: Int? = nil) async throws -> [AddOutcome] {
        try await storeOperation("adding assets") {
            try await connection.withTransaction { connection in
                try assets.map { asset in try Self.add(asset, syncFrom: syncFrom, lookbackHours: lookbackHours, connection: connection) }
            }
        }
    }

    /// `add` of one asset, inside a transaction the caller holds.
    static func add(_ asset: AssetCode, syncFrom: UTCHour, lookbackHours: Int? = nil, connection: isolated PostgresConnection)
        throws -> AddOutcome
    {
        let inserted = try connection.query(
            """
            INSERT INTO liquidations.asset (asset, sync_from, watermark, lookback_hours)
            VALUES (\(asset), \(syncFrom), \(syncFrom), coalesce(\(lookbackHours)::integer, 24))
            ON CONFLICT (asset) DO NOTHING
            """, name: "assets.add"
        ).affectedRows
        if inserted == 1 { return .added(asset, syncFrom: syncFrom) }
        let existing = try connection.query(
            "SELECT sync_from FROM liquidations.asset WHERE asset = \(asset)", name: "assets.add"
        ).scalar(UTCHour.self)
        return .alreadyTracked(asset, syncFrom: existing)
    }

    /// Every tracked asset, by code, with the number of hours stored for it (summed from the
    /// monthly rollups: a few dozen rows an asset however long its history; the sync loop, which
    /// runs often, asks without).
    public func list(countingStoredHours: Bool = true, only codes: [AssetCode]? = nil) async throws -> [TrackedAsset] {
        try await storeOperation("listing assets") {
            let filter = codes.map { $0.map(\.rawValue) }
            return try await connection.query(
                """
                SELECT a.asset, a.enabled, a.sync_from, a.watermark, a.last_synced_at, a.last_error,
                       a.last_error_at,
                       CASE WHEN \(countingStoredHours)
                            THEN (SELECT coalesce(sum(m.hours_covered), 0) FROM liquidations.token_month AS m
                                  WHERE m.asset = a.asset)
                            ELSE 0 END,
                       a.lookback_hours,
                       (SELECT count(*) FROM liquidations.emptied_hour AS o WHERE o.asset = a.asset)
                FROM liquidations.asset AS a
                WHERE \(filter)::text[] IS NULL OR a.asset = ANY(\(filter)::text[])
                ORDER BY a.asset
                """, name: "assets.list"
            ).rows.map { row in
                let (asset, enabled, syncFrom, watermark, lastSyncedAt, lastError, lastErrorAt, storedHours, lookback, open) =
                    try row.decode(
                        AssetCode.self, Bool.self, UTCHour.self, UTCHour.self, Date?.self, String?.self, Date?.self,
                        Int64.self, Int.self, Int.self)
                return TrackedAsset(
                    asset: asset, enabled: enabled, syncFrom: syncFrom, watermark: watermark,
                    lastSyncedAt: lastSyncedAt, lastError: lastError, lastErrorAt: lastErrorAt,
                    storedHours: storedHours, lookbackHours: lookback, openHours: open)
            }
        }
    }

    /// Enables or disables syncing of an asset; its data stays. Returns whether it changed.
    @discardableResult
    public func setEnabled(_ asset: AssetCode, _ enabled: Bool) async throws -> Bool {
        try await replace("enabled", of: asset, with: enabled) != enabled
    }

    /// Sets how many hours below the watermark each sync re-reads (and so which hours the views
    /// call final). Returns the previous value.
    @discardableResult
    public func setLookback(_ asset: AssetCode, hours: Int) async throws -> Int {
        try await replace("lookback_hours", of: asset, with: hours)
    }

    /// Sets one of the asset's settings; returns its previous value.
    private func replace<Value: PostgresEncodable & PostgresDecodable>(
        _ column: StaticString, of asset: AssetCode, with value: Value
    ) async throws -> Value {
        let previous = try await storeOperation("updating asset \(asset)") {
            try await connection.query(
                """
                UPDATE liquidations.asset AS a SET \(sql: column) = \(value)
                FROM (SELECT \(sql: column) AS previous FROM liquidations.asset WHERE asset = \(asset) FOR UPDATE) AS before
                WHERE a.asset = \(asset)
                RETURNING before.previous
                """, name: "assets.set \(column)"
            ).rows.first.map { try $0.decode(Value.self, at: 0) }
        }
        guard let previous else { throw StoreError.assetNotTracked(asset) }
        return previous
    }

    /// Stops tracking an asset. Without `purge`, refuses when hours are stored (so no data is
    /// lost by a slip of the keyboard); with it, deletes the asset's rows and history too.
    /// Returns the number of hours deleted.
    @discardableResult
    public func remove(_ asset: AssetCode, purge: Bool) async throws -> Int64 {
        let outcome: Result<Int64, StoreError> = try await storeOperation("removing asset \(asset)") {
            try await connection.withTransaction { connection in
                let tracked = try connection.query(
                    "SELECT 1 FROM liquidations.asset WHERE asset = \(asset) FOR UPDATE", name: "assets.remove"
                ).rows.count
                guard tracked == 1 else { return .failure(.assetNotTracked(asset)) }
                let hours = try connection.query(
                    "SELECT count(*) FROM liquidations.token_interval WHERE asset = \(asset)", name: "assets.remove"
                ).scalar(Int64.self)
                if hours > 0 && !purge { return .failure(.assetHasData(asset, storedHours: hours)) }
                // The data tables and their rollups have no foreign key to the asset (migrations
                // 0007, 0008, 0012, 0013, 0017): their rows are deleted here. The asset's foreign keys
                // cascade to the run history.
                for table in [
                    "token_interval_exchange", "token_interval", "token_day_exchange", "token_day", "token_month_exchange",
                    "token_month", "token_day_exchange_running",
                ] {
                    try connection.query(
                        "DELETE FROM liquidations.\(identifier: table) WHERE asset = \(asset)", name: "assets.remove")
                }
                try connection.query("DELETE FROM liquidations.asset WHERE asset = \(asset)", name: "assets.remove")
                return .success(hours)
            }
        }
        return try outcome.get()
    }
}

extension AssetStore {
    /// One tracked asset, or nil.
    public func asset(_ code: AssetCode) async throws -> TrackedAsset? {
        try await list(countingStoredHours: false, only: [code]).first
    }

    /// The asset's open hours (see `OpenHour`), oldest first.
    public func openHours(of asset: AssetCode) async throws -> [OpenHour] {
        try await storeOperation("reading the open hours of \(asset)") {
            try await connection.query(
                """
                SELECT interval_start, emptied_at FROM liquidations.emptied_hour
                WHERE asset = \(asset) ORDER BY interval_start
                """, name: "assets.open-hours"
            ).rows.map { row in
                let (hour, emptiedAt) = try row.decode(UTCHour.self, Date.self)
                return OpenHour(hour: hour, emptiedAt: emptiedAt)
            }
        }
    }
}
