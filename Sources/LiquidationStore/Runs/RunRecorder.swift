import FoundationEssentials
import LiquidationModel
import Postgres

/// Writes down what went wrong, outside the rolled-back transaction: the asset's `last_error`
/// and a failed `sync_run` row, so `status` and the `sync_status` view can show it.
public struct RunRecorder: Sendable {
    public init() {}

    public func recordFailure(
        asset: AssetCode, window: HourWindow?, kind: RunKind, error: String, startedAt: Date,
        on connection: PostgresConnection
    ) async throws {
        let message = String(error.prefix(2000))
        try await storeOperation("recording the failure of \(asset)") {
            try await connection.withTransaction { connection in
                try connection.query(
                    """
                    UPDATE liquidations.asset SET last_error = \(message), last_error_at = now()
                    WHERE asset = \(asset)
                    """, name: "record last error")
                if let window {
                    try connection.query(
                        """
                        INSERT INTO liquidations.sync_run (asset, kind, window_start, window_end, status, error, started_at)
                        SELECT \(asset), \(kind.rawValue), \(window.start), \(window.end), 'failed', \(message), \(startedAt)
                        WHERE EXISTS (SELECT 1 FROM liquidations.asset WHERE asset = \(asset))
                        """, name: "record failed run")
                }
            }
        }
    }
}
