import CLibPQ
import Logging

/// Receives the server's notices and warnings (`RAISE NOTICE`, "relation already exists,
/// skipping", deprecation warnings) and writes them to the connection's `Logger` instead of
/// libpq's default of printing to stderr.
final class NoticeSink: Sendable {
    let logger: Logger

    init(logger: Logger) { self.logger = logger }

    func receive(_ result: OpaquePointer) {
        let severity = PQresultErrorField(result, Int32(UInt8(ascii: "V"))).map { String(cString: $0) } ?? "NOTICE"
        let message = PQresultErrorField(result, Int32(UInt8(ascii: "M"))).map { String(cString: $0) } ?? ""
        let level: Logger.Level = (severity == "WARNING") ? .warning : .debug
        logger.log(level: level, "postgres \(severity.lowercased()): \(message)")
    }

    /// Installs this sink on `connection`. The sink must outlive the connection handle.
    func install(on connection: OpaquePointer) {
        let context = Unmanaged.passUnretained(self).toOpaque()
        PQsetNoticeReceiver(connection, { context, result in
            guard let context, let result else { return }
            Unmanaged<NoticeSink>.fromOpaque(context).takeUnretainedValue().receive(result)
        }, context)
    }
}
