/// Session-level advisory locks: held until unlocked or until the connection ends, so a
/// crashed process never leaves one behind.
extension PostgresConnection {
    /// Takes the lock if nobody holds it; returns false at once otherwise.
    public func tryAdvisoryLock(_ key: Int64) throws(PostgresError) -> Bool {
        try query("SELECT pg_try_advisory_lock(\(key))", name: "advisory lock").scalar(Bool.self)
    }

    /// Waits until the lock is free, then takes it. The wait is the point (another process is
    /// busy with what the lock guards), so the session's statement and lock deadlines do not
    /// apply to it; a holder that died releases the lock when its session ends.
    public func advisoryLock(_ key: Int64) throws {
        try withTransaction { connection in
            try connection.query("SET LOCAL statement_timeout = 0", name: "advisory lock (wait)")
            try connection.query("SET LOCAL lock_timeout = 0", name: "advisory lock (wait)")
            // A session-level lock taken inside a transaction outlives its commit.
            try connection.query("SELECT pg_advisory_lock(\(key))", name: "advisory lock (wait)")
        }
    }

    /// Whether the session `holder` (a server process id, `sessionID`) holds the lock now: a
    /// writer on another connection asks this inside its transaction. (A bigint key shows in
    /// `pg_locks` as its high half in `classid`, its low half in `objid`, with `objsubid` 1.)
    public func advisoryLockIsHeld(_ key: Int64, bySession holder: Int32) throws(PostgresError) -> Bool {
        try query(
            """
            SELECT EXISTS (
                SELECT 1 FROM pg_locks
                WHERE locktype = 'advisory' AND granted AND pid = \(holder) AND objsubid = 1
                  AND ((classid::bigint << 32) | objid::bigint) = \(key))
            """, name: "advisory lock held"
        ).scalar(Bool.self)
    }

    /// Takes the lock until the current transaction ends, if nobody (but this session) holds
    /// it; false at once otherwise.
    public func tryTransactionAdvisoryLock(_ key: Int64) throws(PostgresError) -> Bool {
        try query("SELECT pg_try_advisory_xact_lock(\(key))", name: "advisory lock (transaction)").scalar(Bool.self)
    }

    /// This session's server process id, as `pg_locks` names it.
    public func sessionID() throws(PostgresError) -> Int32 {
        try query("SELECT pg_backend_pid()", name: "session id").scalar(Int32.self)
    }

    /// Releases every advisory lock this session holds.
    public func advisoryUnlockAll() throws(PostgresError) {
        try query("SELECT pg_advisory_unlock_all()", name: "advisory unlock all")
    }

    /// Releases a lock this session holds; returns false if it did not hold it.
    @discardableResult
    public func advisoryUnlock(_ key: Int64) throws(PostgresError) -> Bool {
        try query("SELECT pg_advisory_unlock(\(key))", name: "advisory unlock").scalar(Bool.self)
    }
}

/// A stable 64-bit key for a named lock (FNV-1a), the same in every process and release. (This
/// layer does not depend on the domain model, whose `FNV1a` is the same function.)
public func advisoryLockKey(_ name: String) -> Int64 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in name.utf8 {
        hash ^= UInt64(byte)
        hash = hash &* 0x0000_0100_0000_01b3
    }
    return Int64(bitPattern: hash)
}
