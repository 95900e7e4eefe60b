import Foundation
import Testing

/// The scheduled digest, read back from a real systemd-journald and from the state directory.
@Suite("casetrackd's scheduled digest")
struct DigestJournalTests {
    static let digestMessageID = "499ff81153c140f3a6f96c74ea613dcf"

    func run(_ arguments: [String]) throws -> String {
        try runProcess("/usr/bin/env", arguments).output
    }

    @Test("a scheduled digest is one journal entry with its MESSAGE_ID and published figures, and three files")
    func journalEntry() throws {
        _ = try run(["sh", Binaries.packageRoot + "/Tests/SystemdTests/start-journald.sh"])
        let scratch = try Scratch("digest-journal")
        let daemon = try DaemonProcess(
            scratch: scratch, configuration: "digest: { every: 2s, timezone: UTC, suppressBelow: 5 }\n",
            extraArguments: ["--log-target", "journal", "--log-level", "info"])
        try daemon.start()
        let client = try RawClient(path: daemon.socket)
        _ = try client.call("io.casetrack.Tracker.CreateCohort", ["id": "digested", "pipeline": "usrap"])
        _ = try client.call("io.casetrack.Tracker.Intake", ["cohort": "digested", "persons": 300])
        _ = try client.call(
            "io.casetrack.Tracker.Move", ["cohort": "digested", "from": "referred", "to": "deported", "persons": 3])
        let latest = daemon.stateDirectory + "/digests/latest.json"
        let deadline = Date().addingTimeInterval(20)
        // The first digest after the move (a digest with the move counted has 297 active).
        var published: [String: Any]?
        while Date() < deadline {
            if let data = FileManager.default.contents(atPath: latest),
                let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                let total = object["total"] as? [String: Any], total["activePersons"] as? Int == 297
            {
                published = object
                break
            }
            usleep(200_000)
        }
        // On demand, from the CLI: the schedule is not disturbed, root (admin) sees exact figures.
        let listed = try casetrackctl(["digests", "--json"], socket: daemon.socket)
        #expect(listed.status == 0)
        let html = try casetrackctl(["digest", "--format", "html"], socket: daemon.socket)
        #expect(html.status == 0)
        #expect(html.stdout.hasPrefix("<!DOCTYPE html>") && html.stdout.contains("<svg"))
        #expect(html.stdout.contains("Exact figures"))
        let markdown = try casetrackctl(
            ["digest", "--cohort", "digested", "--format", "md", "--published"], socket: daemon.socket)
        #expect(markdown.stdout.contains("| Deported while waiting (deported) | <5 |"))
        #expect(daemon.stop() == 0)
        let digest = try #require(published, "no digest written in 20 s")
        #expect(digest["suppressionThreshold"] as? Int == 5)
        for format in ["md", "html"] {
            #expect(FileManager.default.fileExists(atPath: daemon.stateDirectory + "/digests/latest.\(format)"))
        }

        var entries: [[String: Any]] = []
        // journald on a busy test host can take a few seconds to index.
        for _ in 0..<150 {
            _ = try run(["journalctl", "--sync"])
            let text = try run(
                ["journalctl", "-o", "json", "MESSAGE_ID=\(Self.digestMessageID)", "--no-pager"] + daemon.journalMatch)
            entries = text.split(separator: "\n").compactMap {
                try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
            }
            if entries.contains(where: { $0["ACTIVE_PERSONS"] as? String == "297" }) { break }
            usleep(100_000)
        }
        let entry = try #require(
            entries.first { $0["ACTIVE_PERSONS"] as? String == "297" }, "no digest entry among \(entries.count)")
        #expect(entry["COHORT"] as? String == "digested")
        #expect(entry["OVERDUE_CASES"] as? String == "0")
        // 3 deported in the last 30 days is withheld, and so is the clearance date resting on it.
        #expect(entry["PROJECTED_CLEARANCE"] as? String == "withheld")
        #expect(entry["PRIORITY"] as? String == "5")
        #expect((entry["MESSAGE"] as? String)?.contains("297 persons active") == true)
        #expect((entry["DIGEST_FILE"] as? String)?.hasSuffix(".json") == true)
        let moved = try #require(entry["MOVED_PERSONS"] as? String)
        #expect(moved == "<5" || moved == "0", "MOVED_PERSONS=\(moved)")
    }
}
