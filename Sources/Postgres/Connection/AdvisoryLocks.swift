/// Transaction-level advisory locks: held until the transaction that took them ends, so they
/// hold through a transaction pooler (whose next transaction may run on another server session)
/// and a crashed client never leaves one behind.
extension PostgresConnection {
    /// Takes the lock until the current transaction ends, if no other session holds it; false
    /// at once otherwise.
    public func tryTransactionAdvisoryLock(_ key: Int64) throws(PostgresError) -> Bool {
        try query("SELECT pg_try_advisory_xact_lock(\(key))", name: "advisory lock (transaction)").scalar(Bool.self)
    }

    /// Waits until no other session holds the lock, then takes it until the current transaction
    /// ends. The wait is the point (another client is busy with what the lock guards), so
    /// `lock_timeout` does not apply to it, and applies again, as it was, to what the
    /// transaction does next; the statement deadline still does, unless the transaction lifted it.
    public func transactionAdvisoryLock(_ key: Int64) throws(PostgresError) {
        let lockTimeout = try query("SELECT current_setting('lock_timeout')", name: "advisory lock (wait)").scalar(String.self)
        try execute(script: "SET LOCAL lock_timeout = 0", label: "advisory lock (wait)")
        try query("SELECT pg_advisory_xact_lock(\(key))", name: "advisory lock (wait)")
        try query("SELECT set_config('lock_timeout', \(lockTimeout), true)", name: "advisory lock (wait)")
    }
}
