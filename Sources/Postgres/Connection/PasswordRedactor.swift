import FoundationEssentials

/// Removes passwords from text that is about to reach a log line or an error message: the
/// connection string's (see `ConnectionString.redact`) and `PGPASSWORD`'s.
struct PasswordRedactor: Sendable {
    private let connectionString: ConnectionString?
    private let secrets: [String]

    init(connectionString: String?, environment: [String: String] = ProcessInfo.processInfo.environment) {
        let parsed = connectionString.map(ConnectionString.init)
        self.connectionString = parsed
        var secrets = parsed?.secrets ?? []
        if let password = environment["PGPASSWORD"], !password.isEmpty { secrets.append(password) }
        self.secrets = secrets.sorted { $0.count > $1.count }
    }

    /// Why the connection string is refused before connecting, if it is.
    var problem: String? { connectionString?.problem }

    func redact(_ text: String) -> String {
        ConnectionString.redact(text, secrets: secrets)
    }
}
