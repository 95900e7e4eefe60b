import Glibc
import Logging
import Testing

@testable import Systemd

@Suite("Journal handler without a journal")
struct JournalFallbackTests {
    @Test(
        "when the journal cannot be reached, every record goes to standard error and logging goes on")
    func fallsBackToStandardError() {
        let capture = LineCapture()
        let logger = Logger(label: "casetrack.test") { label in
            JournalLogHandler(
                label: label, identifier: "casetrackd", logLevel: .info, metadataProvider: nil,
                sender: { _ in -ENOENT }, fallback: capture.output)
        }
        logger.info("first", metadata: ["cohort": "c1"])
        logger.error("second")
        let lines = capture.lines
        #expect(lines.count == 2)
        #expect(lines.first?.hasSuffix(" info casetrackd: first cohort=c1") == true)
        #expect(lines.last?.hasSuffix(" error casetrackd: second") == true)
    }

    @Test("the sender receives NAME=value iovecs, one per field, values with newlines intact")
    func iovecLayout() {
        let sent = LineCapture()
        let fallback = LineCapture()
        let logger = Logger(label: "casetrack.test") { label in
            JournalLogHandler(
                label: label, identifier: "casetrackd", logLevel: .info, metadataProvider: nil,
                sender: { iovecs in
                    for vector in iovecs {
                        let bytes = UnsafeRawBufferPointer(start: vector.iov_base, count: vector.iov_len)
                        sent.output.write(String(decoding: bytes, as: UTF8.self))
                    }
                    return 0
                },
                fallback: fallback.output)
        }
        logger.notice("two\nlines", metadata: ["case-id": "RSC-9"])
        #expect(fallback.lines.isEmpty)
        #expect(sent.lines.first == "MESSAGE=two\nlines")
        #expect(sent.lines.contains("PRIORITY=5"))
        #expect(sent.lines.last == "CASE_ID=RSC-9")
    }
}
