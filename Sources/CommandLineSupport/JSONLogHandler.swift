import ArgumentParser
import FoundationEssentials
import Glibc
import LiquidationModel
import Logging
import Synchronization

/// One JSON object per line on stderr (`--log-format json`), for journald and log shippers:
/// `{"level":"info","logger":"liqsync","message":"committed chunk","asset":"btc",...,"time":"..."}`.
struct JSONLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var object: [String: String] = [
            "time": UTCTimestamp.format(Date()),
            "level": event.level.rawValue,
            "logger": label,
            "message": OneLine.fold("\(event.message)"),
        ]
        for (key, value) in metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 }) {
            object[key] = OneLine.fold("\(value)")
        }
        guard let line = try? JSONValue.lineEncoder.encode(object) else { return }
        Console.write(String(decoding: line, as: UTF8.self) + "\n", to: STDERR_FILENO)
    }
}

/// How logs are written on stderr: lines of text, or one JSON object per line.
public enum LogFormat: String, ExpressibleByArgument, Sendable {
    case text, json
}

/// The process's one log handler, chosen once.
public enum LogSetup {
    private static let bootstrapped = Mutex(false)

    /// Chooses the log handler once per process (swift-log allows one bootstrap).
    public static func bootstrapOnce(format: LogFormat) {
        let first = bootstrapped.withLock { done in
            defer { done = true }
            return !done
        }
        guard first else { return }
        LoggingSystem.bootstrap { label in
            switch format {
            case .text:
                var handler = TextLogHandler(label: label)
                handler.logLevel = .trace  // each Logger sets its own level
                return handler
            case .json:
                var handler = JSONLogHandler(label: label)
                handler.logLevel = .trace
                return handler
            }
        }
    }
}

/// One line of text per record on stderr (`--log-format text`), as swift-log's stream handler
/// writes it (`2026-12-06T09:00:00+0000 info liqsync: asset=btc [Ingest] committed chunk`), with
/// the message and every metadata value folded to one line (`OneLine`).
struct TextLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 })
        let fields = merged.sorted { $0.key < $1.key }.map { "\($0.key)=\(OneLine.fold("\($0.value)"))" }
        var line = UTCTimestamp.format(Date()) + " \(event.level) \(label):"
        if !fields.isEmpty { line += " " + fields.joined(separator: " ") }
        line += " [\(event.source)] " + OneLine.fold("\(event.message)")
        Console.write(line + "\n", to: STDERR_FILENO)
    }
}
