import Foundation
import Testing

/// casetrackd's log, read back from a real systemd-journald.
@Suite("casetrackd in the journal")
struct JournalTests {
    static let messageIDs = [
        "startup": "2f7be1d777994d22b50f49e1bf87ff57", "ready": "e9cea819491b44c597424116fe05b5a1",
        "cohortCreated": "a0475f1659e34945b6eeb3a29ff03213", "intake": "b161d940c13a4ead8e4ddaa0504f1aa5",
        "move": "47b2d5e834f04ee68748b0cf07ce43a5", "caseAdded": "c5bc609fe1594c13b5b7c603fa0b3d91",
        "transition": "bc24a9eadd2d4d4e841ce28bf204630a", "shutdown": "4548c311225947cab49cdce947883108",
    ]

    func run(_ arguments: [String]) throws -> String {
        try runProcess("/usr/bin/env", arguments).output
    }

    @Test("each notable event is one structured entry with its MESSAGE_ID, priority and fields")
    func structuredEntries() throws {
        _ = try run(["sh", Binaries.packageRoot + "/Tests/SystemdTests/start-journald.sh"])
        let scratch = try Scratch("journal")
        let daemon = try DaemonProcess(scratch: scratch, extraArguments: ["--log-target", "journal", "--log-level", "info"])
        try daemon.start()
        let client = try RawClient(path: daemon.socket)
        _ = try client.call("io.casetrack.Tracker.CreateCohort", ["id": "journaled", "pipeline": "usrap"])
        _ = try client.call("io.casetrack.Tracker.Intake", ["cohort": "journaled", "persons": 300])
        _ = try client.call(
            "io.casetrack.Tracker.Move", ["cohort": "journaled", "from": "referred", "to": "prescreened", "persons": 20])
        _ = try client.call(
            "io.casetrack.Tracker.AddCase",
            ["cohort": "journaled", "id": "J-1", "persons": 4, "state": "prescreened", "fromUnregistered": true])
        _ = try client.call("io.casetrack.Tracker.Transition", ["caseId": "J-1", "event": "interview-scheduled"])
        #expect(daemon.stop() == 0)

        var entries: [[String: Any]] = []
        for _ in 0..<50 {
            _ = try run(["journalctl", "--sync"])
            let text = try run(["journalctl", "-o", "json", "--no-pager"] + daemon.journalMatch)
            entries = text.split(separator: "\n").compactMap {
                try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
            }
            if entries.contains(where: { $0["MESSAGE_ID"] as? String == Self.messageIDs["shutdown"] }) { break }
            usleep(100_000)
        }
        func entry(_ name: String) -> [String: Any]? {
            entries.first { $0["MESSAGE_ID"] as? String == Self.messageIDs[name] }
        }
        for name in Self.messageIDs.keys { #expect(entry(name) != nil, "no \(name) entry among \(entries.count)") }
        let transition = try #require(entry("transition"))
        #expect(transition["CASE_ID"] as? String == "J-1")
        #expect(transition["FROM_STATE"] as? String == "prescreened")
        #expect(transition["TO_STATE"] as? String == "interview-scheduled")
        #expect(transition["COHORT"] as? String == "journaled")
        #expect(transition["SEQ"] as? String == "5")
        #expect(transition["PRIORITY"] as? String == "6")
        #expect(transition["SYSLOG_IDENTIFIER"] as? String == "casetrackd")
        #expect((transition["CODE_FILE"] as? String)?.hasSuffix("Tracker.swift") == true)
        #expect(transition["CODE_FUNC"] != nil && transition["CODE_LINE"] != nil)
        #expect(entry("cohortCreated")?["PRIORITY"] as? String == "5")
        #expect(entry("move")?["PERSONS"] as? String == "20")
        #expect(entry("intake")?["ACTOR"] as? String == "root")
    }
}
