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
            "message": "\(event.message)",
        ]
        for (key, value) in metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 }) {
            object[key] = "\(value)"
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
                var handler = StreamLogHandler.standardError(label: label)
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
