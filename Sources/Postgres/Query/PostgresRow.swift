/// One row of a result, copied out of libpq's `PGresult` (which is freed right after), so a row
/// is a plain value that can cross threads.
public struct PostgresRow: Sendable {
    public let columns: PostgresColumns
    /// Text-format values; `nil` is SQL `NULL`.
    public let values: [String?]
    let statement: String

    /// Decodes the column at `index`.
    public func decode<T: PostgresDecodable>(_ type: T.Type, at index: Int) throws(PostgresError) -> T {
        guard values.indices.contains(index) else {
            throw PostgresError(
                code: .decoding, message: "no column \(index) (the row has \(values.count))",
                statement: statement)
        }
        do {
            return try T.decode(postgresText: values[index])
        } catch {
            throw decodingError(error, column: columns.names[index], type: T.self)
        }
    }

    /// Decodes the column named `name`.
    public func decode<T: PostgresDecodable>(_ type: T.Type, column name: String) throws(PostgresError) -> T {
        guard let index = columns.index(of: name) else {
            throw PostgresError(code: .decoding, message: "no column named '\(name)'", statement: statement)
        }
        return try decode(type, at: index)
    }

    /// Decodes the leading columns as a tuple: `let (asset, watermark) = try row.decode(String.self, Date.self)`.
    public func decode<each T: PostgresDecodable>(_ types: repeat (each T).Type) throws(PostgresError) -> (repeat each T) {
        var index = 0
        func next<U: PostgresDecodable>(_ type: U.Type) throws(PostgresError) -> U {
            defer { index += 1 }
            return try decode(type, at: index)
        }
        return (repeat try next(each types))
    }

    private func decodingError(_ failure: PostgresDecodingFailure, column: String, type: Any.Type) -> PostgresError {
        switch failure {
        case .unexpectedNull:
            return PostgresError(
                code: .decoding, message: "column '\(column)' is NULL, expected \(type)", statement: statement)
        case .invalidText(let text):
            let shown = text.count > 60 ? String(text.prefix(60)) + "…" : text
            return PostgresError(
                code: .decoding, message: "column '\(column)' value '\(shown)' is not a valid \(type)",
                statement: statement)
        }
    }
}

/// Column names of a result, shared by all its rows.
public final class PostgresColumns: Sendable {
    public let names: [String]
    private let positions: [String: Int]

    init(names: [String]) {
        self.names = names
        var positions: [String: Int] = [:]
        for (index, name) in names.enumerated() where positions[name] == nil {
            positions[name] = index
        }
        self.positions = positions
    }

    public func index(of name: String) -> Int? { positions[name] }
}

/// The outcome of a statement: its rows (if any) and the number of rows it affected.
public struct PostgresResult: Sendable {
    public let rows: [PostgresRow]
    /// `INSERT`/`UPDATE`/`DELETE`/`COPY` row count (`PQcmdTuples`); 0 for other statements.
    public let affectedRows: Int
    /// The command tag, e.g. `INSERT 0 3`.
    public let commandTag: String

    /// The single value of a one-row, one-column result (`SELECT count(*) ...`).
    public func scalar<T: PostgresDecodable>(_ type: T.Type) throws(PostgresError) -> T {
        guard let row = rows.first else {
            throw PostgresError(code: .decoding, message: "expected one row, got none")
        }
        return try row.decode(type, at: 0)
    }
}
