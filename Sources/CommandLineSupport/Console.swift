import Foundation

/// Where a command's output goes: results to stdout, diagnostics to stderr.
public enum Console {
    public static func print(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    public static func printError(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    public static func warn(_ line: String) {
        printError("liqsync: warning: \(line)")
    }

    /// Whether stdout is a terminal (tables and colours) or a pipe (plain, stable text).
    public static var stdoutIsTerminal: Bool { isatty(STDOUT_FILENO) == 1 }
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
                index == cells.count - 1 ? pair.0 : pair.0.padding(toLength: pair.1, withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }
        return ([line(headers)] + rows.map(line)).joined(separator: "\n")
    }
}
