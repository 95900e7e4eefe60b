import Foundation
import Testing

/// A pipeline revised under live cases: refused while it would strand
/// people, applied with recorded moves once it says where they go.
@Suite("Reloading revised pipelines")
struct ReloadTests {
    /// usrap without its medical stage: approved cases go straight to sponsorship assurance.
    static func revisedUSRAP(migrate: String?) -> String {
        """
        name: usrap
        version: 2
        title: US Refugee Admissions Program
        states:
          - { name: referred, initial: true, sla: 60 }
          - { name: prescreened, sla: 90 }
          - { name: security-checks, sla: 180 }
          - { name: interview-scheduled, sla: 60 }
          - { name: interviewed, sla: 90 }
          - { name: on-hold, sla: 180 }
          - { name: approved, sla: 30 }
          - { name: assured, sla: 60 }
          - { name: oriented, sla: 45 }
          - { name: travel-booked, sla: 30 }
          - { name: departed, sla: 7 }
          - { name: arrived, outcome: resettled }
          - { name: denied, outcome: denied }
          - { name: withdrawn, outcome: withdrawn }
          - { name: deported, outcome: deported }
          - { name: relocated, outcome: relocated-elsewhere }
          - { name: closed, outcome: closed }
        transitions:
          - { event: prescreened, from: [referred], to: prescreened }
          - { event: security-checks-started, from: [prescreened], to: security-checks }
          - { event: interview-scheduled, from: [prescreened, security-checks], to: interview-scheduled }
          - { event: interviewed, from: [interview-scheduled], to: interviewed }
          - { event: put-on-hold, from: [security-checks, interviewed], to: on-hold }
          - { event: approved, from: [interviewed, on-hold], to: approved }
          - { event: denied, from: [interviewed, on-hold], to: denied }
          - { event: assurance-received, from: [approved], to: assured }
          - { event: orientation-completed, from: [assured], to: oriented }
          - { event: travel-booked, from: [oriented], to: travel-booked }
          - { event: travel-cancelled, from: [travel-booked], to: oriented }
          - { event: departed, from: [travel-booked], to: departed }
          - { event: arrived, from: [departed], to: arrived }
          - { event: withdrew, from: [referred, prescreened, approved, assured], to: withdrawn }
          - { event: deported, from: [referred, prescreened, approved, assured], to: deported }
          - { event: relocated, from: [referred, prescreened, approved, assured], to: relocated }
          - { event: closed, from: [referred, prescreened, approved, assured, departed], to: closed }
        \(migrate.map { "migrate: \($0)" } ?? "")
        """
    }

    @Test("a revision that drops an occupied state is refused until it maps it; then the cases move, with events")
    func strandedStates() throws {
        let scratch = try Scratch("reload")
        let pipelines = scratch.file("pipelines")
        try FileManager.default.copyItem(atPath: Binaries.pipelines, toPath: pipelines)
        let daemon = try DaemonProcess(scratch: scratch, extraArguments: ["--pipelines-dir", pipelines])
        try daemon.start()
        let client = try RawClient(path: daemon.socket)
        _ = try client.call("io.casetrack.Tracker.CreateCohort", ["id": "revised", "pipeline": "usrap"])
        _ = try client.call("io.casetrack.Tracker.AddCase", ["cohort": "revised", "id": "M-1", "persons": 4, "state": "medical"])
        _ = try client.call("io.casetrack.Tracker.Intake", ["cohort": "revised", "state": "medical", "persons": 7])

        try Self.revisedUSRAP(migrate: nil).write(toFile: pipelines + "/usrap.yaml", atomically: true, encoding: .utf8)
        let refused = try client.call("io.casetrack.Tracker.Reload")
        let reason = "\(refused)"
        #expect(refused["error"] != nil)
        #expect(reason.contains("medical") && reason.contains("1 cases") && reason.contains("7 unregistered"), "\(reason)")
        let still = try client.call("io.casetrack.Tracker.DescribePipeline", ["name": "usrap"])
        #expect(((still["parameters"] as? [String: Any])?["pipeline"] as? [String: Any])?["version"] as? Int == 1)

        try Self.revisedUSRAP(migrate: "{ medical: approved }")
            .write(toFile: pipelines + "/usrap.yaml", atomically: true, encoding: .utf8)
        let applied = try client.call("io.casetrack.Tracker.Reload")
        #expect(applied["error"] == nil, "\(applied)")
        let shown = try client.call("io.casetrack.Tracker.GetCase", ["id": "M-1"])
        let parameters = shown["parameters"] as? [String: Any]
        #expect((parameters?["case"] as? [String: Any])?["state"] as? String == "approved")
        #expect((parameters?["case"] as? [String: Any])?["pipelineVersion"] as? Int == 2)
        let last = (parameters?["history"] as? [[String: Any]])?.last
        #expect(last?["event"] as? String == "migrate")
        #expect(last?["from"] as? String == "medical")
        let cohort = try client.call("io.casetrack.Tracker.DescribeCohort", ["id": "revised"])
        let counts = (((cohort["parameters"] as? [String: Any])?["cohort"] as? [String: Any])?["counts"] as? [[String: Any]]) ?? []
        let approved = counts.first { $0["state"] as? String == "approved" }
        #expect(approved?["persons"] as? Int == 11)
        #expect(!counts.contains { $0["state"] as? String == "medical" })
        let verify = try client.call("io.casetrack.Tracker.Verify")
        #expect((verify["parameters"] as? [String: Any])?["ok"] as? Bool == true, "\(verify)")
    }
}

@Suite("Purging closed cases")
struct PurgeTests {
    @Test("closed cases go, their persons stay counted, the log forgets their ids, verify still holds")
    func purgeClosed() throws {
        let scratch = try Scratch("purge")
        let daemon = try DaemonProcess(scratch: scratch)
        try daemon.start()
        let client = try RawClient(path: daemon.socket)
        _ = try client.call("io.casetrack.Tracker.CreateCohort", ["id": "closing", "pipeline": "afghan-siv"])
        for index in 0..<5 {
            _ = try client.call("io.casetrack.Tracker.AddCase", ["cohort": "closing", "id": "C-\(index)", "persons": 3])
        }
        _ = try client.call("io.casetrack.Tracker.Transition", ["caseId": "C-0", "event": "deported"])
        _ = try client.call("io.casetrack.Tracker.Transition", ["caseId": "C-1", "event": "withdrew"])
        _ = try client.call("io.casetrack.Tracker.Transition", ["caseId": "C-2", "event": "com-approved"])

        let early = try casetrackctl(["purge", "--closed-before", "2020-01-01"], socket: daemon.socket)
        #expect(early.status == 0 && early.stdout.contains("purged 0 cases"), "\(early.stdout)\(early.stderr)")
        let future = try casetrackctl(["purge", "--closed-before", "2999-01-01"], socket: daemon.socket)
        #expect(future.status == 1, "a date in the future is refused")

        usleep(20_000)
        let now = ISO8601DateFormatter().string(from: Date().addingTimeInterval(1))
        sleep(1)
        let run = try casetrackctl(["purge", "--closed-before", now, "--json"], socket: daemon.socket)
        #expect(run.status == 0, "\(run.stderr)")
        #expect((run.json as? [String: Any])?["cases"] as? Int == 2)
        #expect((run.json as? [String: Any])?["persons"] as? Int == 6)

        #expect(try client.call("io.casetrack.Tracker.GetCase", ["id": "C-0"])["error"] as? String == "io.casetrack.Tracker.NoSuchCase")
        #expect(try client.call("io.casetrack.Tracker.GetCase", ["id": "C-2"])["error"] == nil)
        let cohort = try client.call("io.casetrack.Tracker.DescribeCohort", ["id": "closing"])
        let counts = (((cohort["parameters"] as? [String: Any])?["cohort"] as? [String: Any])?["counts"] as? [[String: Any]]) ?? []
        let deported = counts.first { $0["state"] as? String == "deported" }
        #expect(deported?["persons"] as? Int == 3 && deported?["cases"] as? Int == 0 && deported?["unregistered"] as? Int == 3)
        let history = try client.call("io.casetrack.Tracker.History", ["cohort": "closing", "limit": 100])
        let events = ((history["parameters"] as? [String: Any])?["events"] as? [[String: Any]]) ?? []
        #expect(!events.contains { ($0["caseId"] as? String) == "C-0" || ($0["caseId"] as? String) == "C-1" })
        #expect(events.filter { $0["kind"] as? String == "purge" }.count == 2)
        let verify = try client.call("io.casetrack.Tracker.Verify")
        #expect((verify["parameters"] as? [String: Any])?["ok"] as? Bool == true, "\(verify)")
    }
}
