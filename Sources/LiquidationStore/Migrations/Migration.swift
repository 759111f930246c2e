/// One schema change: a numbered plain-SQL file from `migrations/`, embedded in the binary.
public struct Migration: Sendable, Hashable {
    /// The number the file name starts with (`0001_initial.sql` → 1).
    public let version: Int
    /// The file name, e.g. `0001_initial.sql`.
    public let fileName: String
    public let sql: String

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
