import CLibPQ

/// Writes rows for `COPY ... FROM STDIN` in PostgreSQL's text format, buffering them and sending
/// 32 KiB at a time with `PQputCopyData`. Only usable inside `PostgresConnection.copyIn`.
///
/// Each connection keeps this buffer, and libpq an output buffer at least as large, for as long
/// as it lives: at 256 KiB, five connections held 2.5 MiB for sends that are no faster.
public struct PostgresCopyWriter: ~Copyable {
    private let connection: OpaquePointer
    private let label: String
    private var buffer: [UInt8] = []
    public private(set) var rowCount = 0
    private var rowHasFields = false

    private static let flushThreshold = 32 * 1024

    init(connection: OpaquePointer, label: String) {
        self.connection = connection
        self.label = label
        buffer.reserveCapacity(Self.flushThreshold + 4096)
    }

    /// Appends one row; each value becomes one column, `nil` becomes `\N`.
    public mutating func writeRow<each Value: PostgresEncodable>(_ values: repeat each Value) throws(PostgresError) {
        var first = true
        for value in repeat each values {
            if !first { buffer.append(UInt8(ascii: "\t")) }
            first = false
            value.appendCopyField(to: &buffer)
        }
        buffer.append(UInt8(ascii: "\n"))
        rowCount += 1
        if buffer.count >= Self.flushThreshold { try flush() }
    }

    /// Appends one field to the row being written (`endRow` ends it), for rows whose columns
    /// come from a list rather than a fixed signature.
    public mutating func append(_ value: some PostgresEncodable) {
        if rowHasFields { buffer.append(UInt8(ascii: "\t")) }
        rowHasFields = true
        value.appendCopyField(to: &buffer)
    }

    /// Ends the row `append` wrote.
    public mutating func endRow() throws(PostgresError) {
        buffer.append(UInt8(ascii: "\n"))
        rowHasFields = false
        rowCount += 1
        if buffer.count >= Self.flushThreshold { try flush() }
    }

    /// Appends `text` as one COPY field: escaped, or `\N` for nil.
    static func appendField(_ text: String?, to buffer: inout [UInt8]) {
        guard var text else {
            buffer.append(UInt8(ascii: "\\"))
            buffer.append(UInt8(ascii: "N"))
            return
        }
        text.withUTF8 { bytes in
            // Numbers, timestamps and codes have nothing to escape: copied in one go.
            guard bytes.contains(where: needsEscape) else {
                buffer.append(contentsOf: bytes)
                return
            }
            for byte in bytes {
                switch byte {
                case UInt8(ascii: "\\"): buffer.append(UInt8(ascii: "\\")); buffer.append(UInt8(ascii: "\\"))
                case UInt8(ascii: "\t"): buffer.append(UInt8(ascii: "\\")); buffer.append(UInt8(ascii: "t"))
                case UInt8(ascii: "\n"): buffer.append(UInt8(ascii: "\\")); buffer.append(UInt8(ascii: "n"))
                case UInt8(ascii: "\r"): buffer.append(UInt8(ascii: "\\")); buffer.append(UInt8(ascii: "r"))
                default: buffer.append(byte)
                }
            }
        }
    }

    private static func needsEscape(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: "\\") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r")
    }

    mutating func flush() throws(PostgresError) {
        guard !buffer.isEmpty else { return }
        let status = buffer.withUnsafeBufferPointer { bytes in
            bytes.withMemoryRebound(to: CChar.self) { chars in
                PQputCopyData(connection, chars.baseAddress, Int32(chars.count))
            }
        }
        guard status == 1 else {
            let message = PQerrorMessage(connection).map { String(cString: $0) } ?? "unknown error"
            throw PostgresError(
                code: PQstatus(connection) == CONNECTION_OK ? .protocolViolation : .connectionLost,
                message: "COPY data could not be sent: \(message.trimmingWhitespace())", statement: label)
        }
        buffer.removeAll(keepingCapacity: true)
    }
}
