import Foundation
import Varlink

/// Where casetrackctl writes: results to stdout, diagnostics and progress
/// to stderr.
enum Printer {
    /// Pretty JSON with sorted keys, as `--json` prints every reply.
    static func json(_ value: JSONValue) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        out(text(value, encoder: encoder))
    }

    /// One compact JSON line, as streamed replies are printed.
    static func jsonLine(_ value: JSONValue) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        out(text(value, encoder: encoder))
    }

    static func compact(_ value: JSONValue) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return text(value, encoder: encoder)
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

    private static func text(_ value: JSONValue, encoder: JSONEncoder) -> String {
        guard let data = try? encoder.encode(value) else { return "null" }
        return String(decoding: data, as: UTF8.self)
    }
}
