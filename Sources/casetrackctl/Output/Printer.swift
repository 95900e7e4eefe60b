import Foundation
import Varlink

/// Where casetrackctl writes: results to stdout, diagnostics and progress
/// to stderr.
enum Printer {
    /// Pretty JSON with sorted keys, as `--json` prints every reply.
    static func json(_ value: JSONValue) {
        out(JSONText.pretty(value))
    }

    /// One compact JSON line, as streamed replies are printed.
    static func jsonLine(_ value: JSONValue) {
        out(JSONText.compact(value))
    }

    static func compact(_ value: JSONValue) -> String {
        JSONText.compact(value)
    }

    static func out(_ line: String) {
        write(line + "\n", to: FileHandle.standardOutput)
    }

    static func err(_ line: String) {
        write(line + "\n", to: FileHandle.standardError)
    }

    /// Writes without a newline (the progress bar redraws its line).
    static func errRaw(_ text: String) {
        write(text, to: FileHandle.standardError)
    }

    private static func write(_ text: String, to handle: FileHandle) {
        try? handle.write(contentsOf: Data(text.utf8))
    }
}
