import Foundation
import Synchronization
import Testing

/// Invariants 1 and 6: what was acknowledged survives a crash and a
/// restart, and the sequence has no gaps.
@Suite("Durability across restarts and crashes")
struct DurabilityTests {
    /// What a client was told: request id → the event's sequence number.
    final class Acknowledged: Sendable {
        let entries = Mutex<[String: Int]>([:])
        func record(_ requestId: String, _ seq: Int) { entries.withLock { $0[requestId] = seq } }
        var all: [String: Int] { entries.withLock { $0 } }
    }

    final class StopFlag: Sendable {
        let raised = Atomic(false)
        var isRaised: Bool { raised.load(ordering: .relaxed) }
        func raise() { raised.store(true, ordering: .relaxed) }
    }

    /// Eight clients take persons in, move some on and register small
    /// households, in a loop, until the daemon goes away.
    func load(socket: String, cohort: String, acknowledged: Acknowledged, stop: StopFlag, tag: String = "") {
        DispatchQueue.concurrentPerform(iterations: 8) { worker in
            guard let client = try? RawClient(path: socket) else { return }
            var round = 0
            while !stop.isRaised {
                round += 1
                let requestId = "\(tag)w\(worker)-r\(round)"
                let call: (String, [String: Any])
                switch round % 4 {
                case 0:
                    call = (
                        "io.casetrack.Tracker.ImportCases",
                        [
                            "cohort": cohort, "requestId": requestId,
                            "cases": (0..<3).map { ["id": "\(requestId)-\($0)", "persons": 1 + $0] },
                        ]
                    )
                case 1:
                    call = (
                        "io.casetrack.Tracker.Move",
                        ["cohort": cohort, "from": "referred", "to": "prescreened", "persons": 1, "requestId": requestId]
                    )
                default:
                    call = ("io.casetrack.Tracker.Intake", ["cohort": cohort, "persons": 1 + round % 5, "requestId": requestId])
                }
                guard let reply = try? client.call(call.0, call.1),
                    let parameters = reply["parameters"] as? [String: Any]
                else { return }
                if let event = parameters["event"] as? [String: Any], let seq = event["seq"] as? Int {
                    acknowledged.record(requestId, seq)
                } else if parameters["added"] as? Int == 3 {
                    acknowledged.record(requestId, -3)
                } else if reply["error"] == nil {
                    return
                }
            }
        }
    }

    func allEvents(_ client: RawClient) throws -> [[String: Any]] {
        var events: [[String: Any]] = []
        var after = 0
        while true {
            let reply = try client.call("io.casetrack.Tracker.History", ["afterSeq": after, "limit": 1000])
            let page = try #require((reply["parameters"] as? [String: Any])?["events"] as? [[String: Any]])
            events += page
            guard let last = page.last?["seq"] as? Int, page.count == 1000 else { return events }
            after = last
        }
    }

    func checkSurvivors(socket: String, acknowledged: [String: Int]) throws {
        let client = try RawClient(path: socket)
        let events = try allEvents(client)
        let seqs = events.compactMap { $0["seq"] as? Int }
        #expect(seqs == Array(1...seqs.count), "sequence numbers have gaps")
        var byRequest: [String: Int] = [:]
        var imported: [String: Int] = [:]
        for event in events {
            guard let requestId = event["requestId"] as? String else { continue }
            if event["kind"] as? String == "case-added" {
                imported[requestId, default: 0] += 1
            } else {
                byRequest[requestId] = event["seq"] as? Int
            }
        }
        let lost = acknowledged.filter { $0.value > 0 ? byRequest[$0.key] != $0.value : imported[$0.key] != 3 }
        #expect(lost.isEmpty, "acknowledged but lost or changed: \(lost.prefix(5))")
        let partial = imported.filter { $0.value != 3 }
        #expect(partial.isEmpty, "imports half-applied: \(partial.prefix(5))")
        let verify = try client.call("io.casetrack.Tracker.Verify")
        #expect((verify["parameters"] as? [String: Any])?["ok"] as? Bool == true, "\(verify)")

        if let (requestId, seq) = acknowledged.first(where: { $0.value > 0 }) {
            let retry = try client.call(
                "io.casetrack.Tracker.Intake", ["cohort": "durable", "persons": 1, "requestId": requestId])
            let event = (retry["parameters"] as? [String: Any])?["event"] as? [String: Any]
            #expect(event?["seq"] as? Int == seq, "a retried request was applied again")
        }
    }

    @Test("kill -9 under load, 20 times (CASETRACK_CRASH_ROUNDS): every acknowledged change is there after each restart, with no gaps")
    func crashUnderLoad() throws {
        let scratch = try Scratch("crash")
        let acknowledged = Acknowledged()
        var generator = SystemRandomNumberGenerator()
        let rounds = Int(ProcessInfo.processInfo.environment["CASETRACK_CRASH_ROUNDS"] ?? "") ?? 20
        for round in 1...rounds {
            let daemon = try DaemonProcess(scratch: scratch)
            try daemon.start()
            if round == 1 {
                _ = try RawClient(path: daemon.socket).call(
                    "io.casetrack.Tracker.CreateCohort", ["id": "durable", "pipeline": "usrap"])
                _ = try RawClient(path: daemon.socket).call(
                    "io.casetrack.Tracker.Intake", ["cohort": "durable", "persons": 1_000_000])
            } else {
                try checkSurvivors(socket: daemon.socket, acknowledged: acknowledged.all)
            }
            let stop = StopFlag()
            let socket = daemon.socket
            let done = DispatchSemaphore(value: 0)
            Thread {
                self.load(socket: socket, cohort: "durable", acknowledged: acknowledged, stop: stop, tag: "k\(round)")
                done.signal()
            }.start()
            usleep(UInt32.random(in: 50_000...600_000, using: &generator))
            daemon.crash()
            stop.raise()
            done.wait()
        }
        #expect(acknowledged.all.count > 100)
        let daemon = try DaemonProcess(scratch: scratch)
        try daemon.start()
        try checkSurvivors(socket: daemon.socket, acknowledged: acknowledged.all)
        #expect(daemon.stop() == 0)
        print("kill -9 rounds survived: \(rounds), acknowledged changes checked after each: \(acknowledged.all.count)")
    }

    @Test("SIGTERM under load drains: the daemon exits 0 and nothing acknowledged is lost")
    func gracefulStop() throws {
        let scratch = try Scratch("drain")
        let acknowledged = Acknowledged()
        let daemon = try DaemonProcess(scratch: scratch)
        try daemon.start()
        _ = try RawClient(path: daemon.socket).call(
            "io.casetrack.Tracker.CreateCohort", ["id": "durable", "pipeline": "usrap"])
        _ = try RawClient(path: daemon.socket).call(
            "io.casetrack.Tracker.Intake", ["cohort": "durable", "persons": 1_000_000])
        let stop = StopFlag()
        let socket = daemon.socket
        let done = DispatchSemaphore(value: 0)
        Thread {
            self.load(socket: socket, cohort: "durable", acknowledged: acknowledged, stop: stop)
            done.signal()
        }.start()
        usleep(400_000)
        #expect(daemon.stop() == 0)
        stop.raise()
        done.wait()
        let restarted = try DaemonProcess(scratch: scratch)
        try restarted.start()
        try checkSurvivors(socket: restarted.socket, acknowledged: acknowledged.all)
    }
}

@Suite("One store, one daemon")
struct SingleInstanceTests {
    @Test("a second casetrackd on the same state directory refuses to start, naming the first")
    func secondDaemonRefused() throws {
        let scratch = try Scratch("twice")
        let first = try DaemonProcess(scratch: scratch)
        try first.start()
        let second = try DaemonProcess(scratch: scratch, extraArguments: ["--socket", scratch.file("second.sock")])
        try second.process.run()
        second.process.waitUntilExit()
        #expect(second.process.terminationStatus != 0)
        let message = second.stderrText()
        #expect(message.contains("another casetrackd (pid \(first.process.processIdentifier))"), "\(message)")
        let status = try RawClient(path: first.socket).call("io.casetrack.Tracker.GetStatus")
        #expect(status["error"] == nil)
        #expect(first.stop() == 0)
        let third = try DaemonProcess(scratch: scratch)
        try third.start()
        #expect(third.stop() == 0)
    }
}
