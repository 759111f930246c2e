import LiquidationStore
import Postgres

/// Where a fetched chunk goes: `ChunkWriter` (the chunk, the watermark and the run record in
/// one transaction) in production; in tests, a writer that fails on cue.
public protocol ChunkWriting: Sendable {
    /// Writes the chunk; `alsoInTransaction` runs in the same transaction after it.
    func write(
        _ chunk: ChunkWrite, on connection: PostgresConnection,
        alsoInTransaction: (@Sendable (isolated PostgresConnection) throws -> Void)?
    ) async throws -> ChunkWriteResult
}

extension ChunkWriter: ChunkWriting {}
