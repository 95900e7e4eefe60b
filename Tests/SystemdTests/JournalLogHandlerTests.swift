import Foundation
import Logging
import Testing

@testable import Systemd

extension ProcessEnvironmentTests {
    @Suite("Journal handler with a real journald", .enabled(if: journaldCanRun()))
    struct JournalLogHandlerTests {

        init() throws {
            let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
                .appendingPathComponent("start-journald.sh").path
            let status = try run(["/bin/sh", script]).status
            try #require(status == 0, "start-journald.sh failed; journald is needed for these tests")
        }

        @Test(
            "a record arrives as one structured entry: message, priority, code location, identifier, metadata"
        )
        func structuredEntry() throws {
            let run = UUID().uuidString
            let logger = Logger(label: "casetrack.test") { label in
                JournalLogHandler(label: label, identifier: "casetrack-test", logLevel: .trace)
            }
            let line = #line + 1
            logger.notice(
                "case RSC-1 moved\nfrom interview\nto approved",
                metadata: [
                    "test-run": "\(run)", "case-id": "RSC-1", "fromState": "interview", "9lives": "cat",
                    "_private": "p", "list": ["a", "b"],
                    "MESSAGE_ID": "bc24a9ea-dd2d-4d4e-841c-e28bf204630a",
                ])

            let entries = try journalEntries(testRun: run, count: 1)
            try #require(entries.count == 1, "a multi-line message is one entry")
            let entry = entries[0]
            #expect(entry["MESSAGE"] == "case RSC-1 moved\nfrom interview\nto approved")
            #expect(entry["PRIORITY"] == "5")
            #expect(entry["CODE_FILE"] == #fileID)
            #expect(entry["CODE_LINE"] == String(line))
            #expect(entry["CODE_FUNC"] == "structuredEntry()")
            #expect(entry["SYSLOG_IDENTIFIER"] == "casetrack-test")
            #expect(entry["LOGGER_LABEL"] == "casetrack.test")
            #expect(entry["CASE_ID"] == "RSC-1")
            #expect(entry["FROM_STATE"] == "interview")
            #expect(entry["X9LIVES"] == "cat")
            #expect(entry["X_PRIVATE"] == "p")
            #expect(entry["LIST"] == #"["a","b"]"#)
            #expect(entry["MESSAGE_ID"] == "bc24a9eadd2d4d4e841ce28bf204630a")
        }

        @Test("swift-log levels map to syslog priorities")
        func priorities() throws {
            let run = UUID().uuidString
            var logger = Logger(label: "casetrack.test") { label in
                JournalLogHandler(label: label, identifier: "casetrack-test", logLevel: .trace)
            }
            logger[metadataKey: "test-run"] = "\(run)"
            let levels: [Logger.Level] = [.trace, .debug, .info, .notice, .warning, .error, .critical]
            for level in levels {
                logger.log(level: level, "level \(level.rawValue)")
            }
            let entries = try journalEntries(testRun: run, count: levels.count)
            let priorities = Dictionary(entries.map { ($0["MESSAGE"] ?? "", $0["PRIORITY"] ?? "") }) {
                a, _ in a
            }
            #expect(
                priorities == [
                    "level trace": "7", "level debug": "7", "level info": "6", "level notice": "5",
                    "level warning": "4", "level error": "3", "level critical": "2",
                ])
        }

        /// The entries with `TEST_RUN=testRun`, waiting up to 5 s for `count` of them.
        func journalEntries(testRun: String, count: Int) throws -> [[String: String]] {
            var entries: [[String: String]] = []
            for _ in 0..<50 {
                _ = try run(["/usr/bin/journalctl", "--sync"])
                let output = try run([
                    "/usr/bin/journalctl", "-o", "json", "--no-pager", "TEST_RUN=\(testRun)",
                ]).output
                entries = try output.split(separator: "\n").map { line in
                    let object =
                        try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] ?? [:]
                    return object.compactMapValues(Self.text)
                }
                if entries.count >= count { break }
                Thread.sleep(forTimeInterval: 0.1)
            }
            return entries
        }

        /// journalctl writes a field as a string, or as an array of bytes when it is not printable.
        static func text(_ value: Any) -> String? {
            if let string = value as? String { return string }
            if let bytes = value as? [Int] {
                return String(decoding: bytes.map(UInt8.init), as: UTF8.self)
            }
            return nil
        }
    }
}

/// Whether journald runs, or this process may start it (as root).
func journaldCanRun() -> Bool {
    FileManager.default.fileExists(atPath: "/run/systemd/journal/socket") || geteuid() == 0
}

@discardableResult
func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: arguments[0])
    process.arguments = Array(arguments.dropFirst())
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}
