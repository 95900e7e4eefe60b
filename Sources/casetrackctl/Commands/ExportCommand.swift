import ArgumentParser
import Foundation
import Varlink

/// `casetrackctl export`: cases as CSV for a spreadsheet, safe to open in one.
struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write cases as CSV (id, cohort, persons, state, since, overdue, attributes…).",
        discussion: """
            Cells that a spreadsheet would run as a formula (starting with =, +, -, @, a tab or a \
            carriage return) are written with a leading apostrophe. With --output the file is \
            created with mode 0600; without it the CSV goes to standard output.
            """)

    @OptionGroup var global: GlobalOptions

    @Option(help: "Only this cohort's cases.")
    var cohort: String?

    @Option(help: "Only cases in this state.")
    var state: String?

    @Flag(help: "Only cases over their state's SLA.")
    var overdue = false

    @Option(name: .shortAndLong, help: ArgumentHelp("Write to this file (mode 0600) instead of stdout.", valueName: "file"))
    var output: String?

    func run() async throws {
        try await global.withDaemon { daemon in
            // Two passes: the first learns every attribute column, the second writes.
            var keys: Set<String> = []
            try await eachPage(daemon) { cases in for found in cases { keys.formUnion(found.attributes.keys) } }
            let attributeKeys = keys.sorted()
            let sink = try Sink(path: output)
            defer { sink.close() }
            let header = ["id", "cohort", "persons", "state", "since", "pipeline_version", "overdue"] + attributeKeys
            try sink.write(CSVExport.line(header))
            var rows = 0
            try await eachPage(daemon) { cases in
                var chunk = ""
                for found in cases {
                    let fields =
                        [
                            found.id, found.cohort, String(found.persons), found.state, found.enteredAt,
                            String(found.pipelineVersion), found.overdue ? "yes" : "no",
                        ] + attributeKeys.map { found.attributes[$0] ?? "" }
                    chunk += CSVExport.line(fields)
                }
                rows += cases.count
                try sink.write(chunk)
            }
            if let output { Printer.err("exported \(rows) cases to \(output)") }
        }
    }

    private func eachPage(_ daemon: Daemon, _ body: ([Case]) throws -> Void) async throws {
        var cursor: String?
        repeat {
            let (_, page) = try await daemon.call(
                "ListCases",
                [
                    "cohort": .optional(cohort), "state": .optional(state), "overdue": overdue ? .bool(true) : nil,
                    "limit": .int(1000), "after": .optional(cursor),
                ], member: "cases", as: [Case].self)
            try body(page)
            cursor = page.count == 1000 ? page.last?.id : nil
        } while cursor != nil
    }

    /// Standard output, or a new file only its owner can read.
    private final class Sink {
        let handle: FileHandle

        init(path: String?) throws {
            guard let path else {
                handle = FileHandle.standardOutput
                return
            }
            let fd = open(path, O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0o600)
            guard fd >= 0 else {
                throw UsageError("cannot create \(path): \(String(cString: strerror(errno)))", exitCode: ExitStatus.dataError)
            }
            fchmod(fd, 0o600)
            handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        }

        func write(_ text: String) throws { try handle.write(contentsOf: Data(text.utf8)) }

        func close() { try? handle.synchronize() }
    }
}

/// RFC 4180 lines with spreadsheet formula injection neutralised.
enum CSVExport {
    static func line(_ fields: [String]) -> String {
        fields.map(cell).joined(separator: ",") + "\r\n"
    }

    /// A cell a spreadsheet shows as text: a leading `=`, `+`, `-`, `@`, tab or
    /// CR gets an apostrophe; commas, quotes and line breaks are quoted.
    static func cell(_ value: String) -> String {
        var text = value
        if let first = text.unicodeScalars.first, ["=", "+", "-", "@", "\t", "\r"].contains(first) {
            text = "'" + text
        }
        if text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) {
            return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        return text
    }
}
