/// One schema change: a numbered plain-SQL file from `migrations/`, embedded in the binary.
///
/// A file runs in one transaction with its row in `schema_migrations`, unless a line of it
/// reads `-- migration: no transaction` (`noTransactionDirective`): then each of its statements
/// runs on its own, as `CREATE INDEX CONCURRENTLY` must (an index over a large table built
/// without holding a lock readers or writers wait for). Such a file holds only statements that
/// can be repeated (`IF NOT EXISTS`), one per line-ending `;`, with no dollar quotes: a run cut
/// short is resumed by running it again (see `MigrationRunner`).
public struct Migration: Sendable, Hashable {
    /// The number the file name starts with (`0001_initial.sql` → 1).
    public let version: Int
    /// The file name, e.g. `0001_initial.sql`.
    public let fileName: String
    public let sql: String
    /// False for a file with the `noTransactionDirective`.
    public let runsInTransaction: Bool

    public static let noTransactionDirective = "-- migration: no transaction"

    /// The statements of a file that runs outside a transaction, in order.
    public var statements: [String] {
        var statements: [String] = []
        var current: [Substring] = []
        for line in sql.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.trimmedOfSpaces
            if current.isEmpty && (trimmed.isEmpty || trimmed.hasPrefix("--")) { continue }
            current.append(line)
            if trimmed.hasSuffix(";") {
                statements.append(current.joined(separator: "\n"))
                current = []
            }
        }
        if !current.isEmpty { statements.append(current.joined(separator: "\n")) }
        return statements
    }

    /// Parses `NNNN_name.sql` file names; anything else is a packaging mistake.
    public init(fileName: String, sql: String) throws(StoreError) {
        let digits = fileName.prefix { $0.isASCII && $0.isNumber }
        guard !digits.isEmpty, let version = Int(digits), version > 0,
              fileName.dropFirst(digits.count).first == "_", fileName.hasSuffix(".sql")
        else {
            throw .invalidMigrationFile(fileName: fileName, reason: "the name must look like 0001_description.sql")
        }
        guard sql.contains(where: { !$0.isWhitespace }) else {
            throw .invalidMigrationFile(fileName: fileName, reason: "the file is empty")
        }
        runsInTransaction = !sql.split(separator: "\n").contains {
            $0.trimmedOfSpaces == Self.noTransactionDirective
        }
        if !runsInTransaction && sql.contains("$$") {
            throw .invalidMigrationFile(
                fileName: fileName, reason: "a file run outside a transaction is split at each line ending in ';': no dollar quotes")
        }
        self.version = version
        self.fileName = fileName
        self.sql = sql
    }
}

extension Migration {
    /// The migrations compiled into this binary (see the EmbedMigrations plugin), in order.
    public static func embedded() throws(StoreError) -> [Migration] {
        var migrations: [Migration] = []
        for file in embeddedMigrationFiles {
            migrations.append(try Migration(fileName: file.fileName, sql: file.sql))
        }
        return try ordered(migrations)
    }

    /// Sorts by version and refuses two files with the same number.
    static func ordered(_ migrations: [Migration]) throws(StoreError) -> [Migration] {
        let sorted = migrations.sorted { $0.version < $1.version }
        for (previous, next) in zip(sorted, sorted.dropFirst()) where previous.version == next.version {
            throw .invalidMigrationFile(
                fileName: next.fileName, reason: "version \(next.version) is also used by \(previous.fileName)")
        }
        return sorted
    }
}

extension Substring {
    /// Without the spaces, tabs and carriage returns at either end.
    fileprivate var trimmedOfSpaces: Substring {
        let blank: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" }
        guard let first = firstIndex(where: { !blank($0) }), let last = lastIndex(where: { !blank($0) }) else { return "" }
        return self[first...last]
    }
}
