import Glibc
import LiquidationModel

/// Where a command's output goes: results to stdout, diagnostics to stderr.
public enum Console {
    public static func print(_ line: String) {
        write(line + "\n", to: STDOUT_FILENO)
    }

    public static func printError(_ line: String) {
        write(line + "\n", to: STDERR_FILENO)
    }

    public static func warn(_ line: String) {
        printError("liqsync: warning: \(line)")
    }

    /// Whether stdout is a terminal (tables and colours) or a pipe (plain, stable text).
    public static var stdoutIsTerminal: Bool { isatty(STDOUT_FILENO) == 1 }

    /// The whole text, unbuffered (a line is never held back behind a crash or interleaved with
    /// another writer's half line); a closed pipe loses it, as it would any output.
    public static func write(_ text: String, to descriptor: Int32) {
        var text = text
        text.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                if written < 0 && errno == EINTR { continue }
                guard written > 0 else { return }
                offset += written
            }
        }
    }
}

/// Left-aligned columns for a terminal.
public struct TextTable {
    public let headers: [String]
    public var rows: [[String]] = []

    public init(headers: [String]) {
        self.headers = headers
    }

    public func render() -> String {
        var widths = headers.map(\.count)
        for row in rows {
            for (index, cell) in row.enumerated() where index < widths.count {
                widths[index] = max(widths[index], cell.count)
            }
        }
        func line(_ cells: [String]) -> String {
            zip(cells, widths).enumerated().map { index, pair in
                index == cells.count - 1 ? pair.0 : pair.0.padded(toWidth: pair.1)
            }.joined(separator: "  ")
        }
        return ([line(headers)] + rows.map(line)).joined(separator: "\n")
    }
}
