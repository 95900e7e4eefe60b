import Logging
import Testing

@testable import Systemd

@Suite("Plain lines on standard error")
struct StderrLogHandlerTests {
    func makeLogger(_ capture: LineCapture, prefix: Bool = false) -> Logger {
        Logger(label: "casetrack.test") { label in
            StderrLogHandler(
                label: label, identifier: "casetrackd", logLevel: .debug, metadataProvider: nil,
                syslogPriorityPrefix: prefix, output: capture.output, timestamp: { "2026-11-29T05:00:00Z" })
        }
    }

    @Test("an operator reads time, level, program, message and sorted metadata")
    func readableLine() {
        let capture = LineCapture()
        var logger = makeLogger(capture)
        logger[metadataKey: "cohort"] = "afghans-pk-us-pipeline"
        logger.info(
            "case moved",
            metadata: ["case-id": "RSC-001", "note": "moved after interview", "persons": "5"])
        #expect(
            capture.lines == [
                #"2026-11-29T05:00:00Z info casetrackd: case moved case-id=RSC-001 cohort=afghans-pk-us-pipeline note="moved after interview" persons=5"#
            ])
    }

    @Test("levels below the handler's level are not written; the syslog prefix is optional")
    func levelsAndPrefix() {
        let capture = LineCapture()
        let logger = makeLogger(capture, prefix: true)
        logger.trace("hidden")
        logger.warning("slow store")
        logger.critical("store unreadable", error: TestError.diskGone)
        #expect(
            capture.lines == [
                "<4>2026-11-29T05:00:00Z warning casetrackd: slow store",
                "<2>2026-11-29T05:00:00Z critical casetrackd: store unreadable error=diskGone",
            ])
    }

    @Test("the metadata provider adds context; the record's own metadata wins")
    func metadataProvider() {
        let capture = LineCapture()
        let provider = Logger.MetadataProvider { ["request": "r-1", "actor": "alice"] }
        let logger = Logger(label: "t") { label in
            StderrLogHandler(
                label: label, identifier: "casetrackd", logLevel: .info, metadataProvider: provider,
                syslogPriorityPrefix: false, output: capture.output, timestamp: { "T" })
        }
        logger.info("x", metadata: ["actor": "bob"])
        #expect(capture.lines == ["T info casetrackd: x actor=bob request=r-1"])
    }

    @Test("the real timestamp is RFC 3339 UTC")
    func timestampFormat() {
        let stamp = LogLine.currentTimestamp()
        #expect(stamp.utf8.count == 20)
        #expect(stamp.wholeMatch(of: /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z/) != nil)
    }
}

enum TestError: Error {
    case diskGone
}
