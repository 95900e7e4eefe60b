import Testing

@testable import Systemd

@Suite("Choosing where logs go")
struct LogDestinationTests {
    let stderr = (device: UInt64(64769), inode: UInt64(1234))

    @Test("stderr connected to the journal (JOURNAL_STREAM matches) means the journal")
    func journalStream() {
        #expect(
            LogDestination.detect(journalStream: "64769:1234", invocationID: nil, standardError: stderr)
                == .journal)
    }

    @Test("a JOURNAL_STREAM inherited by a process whose stderr was redirected does not count")
    func staleJournalStream() {
        #expect(
            LogDestination.detect(journalStream: "64769:9999", invocationID: nil, standardError: stderr)
                == .stderr)
        #expect(
            LogDestination.detect(journalStream: "garbage", invocationID: nil, standardError: stderr)
                == .stderr)
        #expect(
            LogDestination.detect(journalStream: "64769:1234", invocationID: nil, standardError: nil)
                == .stderr)
    }

    @Test("a systemd unit (INVOCATION_ID set) logs to the journal; a terminal to stderr")
    func invocationID() {
        #expect(
            LogDestination.detect(
                journalStream: nil, invocationID: "a47e9fc628e3438f84d5c24a972eaa24", standardError: stderr)
                == .journal)
        #expect(
            LogDestination.detect(journalStream: nil, invocationID: nil, standardError: stderr) == .stderr
        )
        #expect(
            LogDestination.detect(journalStream: nil, invocationID: "", standardError: stderr) == .stderr)
    }

    @Test("explicit destinations are kept; the config spells them as their raw values")
    func explicit() {
        #expect(LogDestination.journal.resolved == .journal)
        #expect(LogDestination.stderr.resolved == .stderr)
        #expect(LogDestination(rawValue: "automatic") == .automatic)
        #expect(LogDestination.stderr.makeLogHandler(label: "x") is StderrLogHandler)
        #expect(LogDestination.journal.makeLogHandler(label: "x") is JournalLogHandler)
    }
}
