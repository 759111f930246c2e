/// Advisory locks, taken without waiting: a caller that must wait asks again later, holding
/// nothing meanwhile. (A session waiting for a lock inside a statement holds a snapshot, and
/// `CREATE INDEX CONCURRENTLY` waits for every older snapshot: a builder holding the lock and a
/// waiter would wait for each other.) A transaction-level lock is held until its transaction
/// ends, so it holds through a transaction pooler; a session-level one until released or the
/// session ends, for work that spans several transactions on a session of its own. A crashed
/// client leaves neither behind.
extension PostgresConnection {
    /// Takes the lock until the current transaction ends, if no other session holds it; false
    /// at once otherwise.
    public func tryTransactionAdvisoryLock(_ key: Int64) throws(PostgresError) -> Bool {
        try query("SELECT pg_try_advisory_xact_lock(\(key))", name: "advisory lock (transaction)").scalar(Bool.self)
    }

    /// Takes the lock for this session, until `advisoryUnlock` or the session's end, if no other
    /// session holds it; false at once otherwise. Only on a session of its own: behind a
    /// transaction pooler the next statement may run on another server session.
    public func tryAdvisoryLock(_ key: Int64) throws(PostgresError) -> Bool {
        try query("SELECT pg_try_advisory_lock(\(key))", name: "advisory lock (session)").scalar(Bool.self)
    }

    /// Releases a session-level lock this session holds; false if it did not hold it.
    @discardableResult
    public func advisoryUnlock(_ key: Int64) throws(PostgresError) -> Bool {
        try query("SELECT pg_advisory_unlock(\(key))", name: "advisory unlock").scalar(Bool.self)
    }
}
