import Foundation
import Testing

/// Limits that keep one client, or one user, from taking the daemon.
@Suite("Limits")
struct LimitTests {
    @Test("one user may hold only limits.maxConnectionsPerUser connections; the rest of the daemon carries on")
    func connectionsPerUser() throws {
        let scratch = try Scratch("per-user")
        let daemon = try DaemonProcess(scratch: scratch, configuration: "limits: { maxConnectionsPerUser: 3 }\n")
        try daemon.start()
        var held: [RawClient] = []
        for _ in 0..<3 {
            let client = try RawClient(path: daemon.socket)
            #expect(try client.call("io.casetrack.Tracker.GetStatus")["error"] == nil)
            held.append(client)
        }
        let fourth = try RawClient(path: daemon.socket)
        try? fourth.send(#"{"method":"io.casetrack.Tracker.GetStatus"}"#)
        #expect(try fourth.receive() == nil, "a fourth connection of the same user was served")
        held.removeLast()
        #expect(Self.servesAgain(daemon.socket), "a connection was not admitted after one closed")
        #expect(try held[0].call("io.casetrack.Tracker.GetStatus")["error"] == nil)
    }

    @Test("Watch streams beyond limits.maxWatchers are refused with LimitReached until one closes")
    func watchers() throws {
        let scratch = try Scratch("watchers")
        let daemon = try DaemonProcess(scratch: scratch, configuration: "limits: { maxWatchers: 2 }\n")
        try daemon.start()
        // From seq 0: a Watch without afterSeq starts at whatever is committed
        // when the daemon gets to it, which may already include the cohort below.
        let watch = #"{"method":"io.casetrack.Tracker.Watch","parameters":{"afterSeq":0},"more":true}"#
        var watchers: [RawClient] = []
        for _ in 0..<2 {
            let client = try RawClient(path: daemon.socket)
            try client.send(watch)
            watchers.append(client)
        }
        let writer = try RawClient(path: daemon.socket)
        _ = try writer.call("io.casetrack.Tracker.CreateCohort", ["id": "watched", "pipeline": "usrap"])
        for client in watchers { #expect(try client.receive()?["continues"] as? Bool == true) }
        let third = try RawClient(path: daemon.socket)
        let refused = try third.call("io.casetrack.Tracker.Watch", more: true)
        #expect(refused["error"] as? String == "io.casetrack.Tracker.LimitReached")
        #expect((refused["parameters"] as? [String: Any])?["limit"] as? String == "maxWatchers")
        watchers.removeFirst()
        var admitted = false
        for _ in 0..<100 where !admitted {
            _ = try writer.call("io.casetrack.Tracker.Intake", ["cohort": "watched", "persons": 1])
            let next = try RawClient(path: daemon.socket)
            try next.send(#"{"method":"io.casetrack.Tracker.Watch","parameters":{"afterSeq":0},"more":true}"#)
            let reply = try next.receive()
            admitted = reply?["error"] == nil
            if !admitted { usleep(50_000) }
        }
        #expect(admitted, "no Watch admitted after one closed")
    }

    @Test("deeply nested JSON closes the connection without harm to the daemon")
    func nesting() throws {
        let scratch = try Scratch("nesting")
        let daemon = try DaemonProcess(scratch: scratch)
        try daemon.start()
        let bystander = try RawClient(path: daemon.socket)
        let deep = try RawClient(path: daemon.socket)
        let depth = 200_000
        try? deep.send(
            #"{"method":"io.casetrack.Tracker.GetStatus","parameters":{"x":"#
                + String(repeating: "[", count: depth) + String(repeating: "]", count: depth) + "}}")
        var closed = false
        while true {
            guard let reply = try deep.receive(timeout: 20) else {
                closed = true
                break
            }
            #expect(reply["error"] != nil, "a nested message was served: \(reply)")
        }
        #expect(closed)
        #expect(try bystander.call("io.casetrack.Tracker.GetStatus")["error"] == nil)
        #expect(daemon.process.isRunning)
    }

    @Test("limits.maxStringBytes and limits.maxNestingDepth from the configuration are enforced before decoding")
    func stringsAndNesting() throws {
        let scratch = try Scratch("strings")
        let daemon = try DaemonProcess(scratch: scratch, configuration: "limits: { maxStringBytes: 1024, maxNestingDepth: 8 }\n")
        try daemon.start()
        let client = try RawClient(path: daemon.socket)
        _ = try client.call("io.casetrack.Tracker.CreateCohort", ["id": "c", "pipeline": "usrap"])
        // 400 Dari letters: 800 bytes of UTF-8 (a valid note), 2400 bytes as \uXXXX escapes.
        let dari = String(repeating: "\\u0627", count: 400)
        try client.send(
            #"{"method":"io.casetrack.Tracker.Intake","parameters":{"cohort":"c","persons":1,"note":""# + dari + #""}}"#)
        let refused = try #require(try client.receive())
        #expect(refused["error"] as? String == "org.varlink.service.InvalidParameter")
        #expect((refused["parameters"] as? [String: Any])?["parameter"] as? String == "note")
        // The same note sent as UTF-8 is 800 bytes: taken.
        let taken = try client.call(
            "io.casetrack.Tracker.Intake", ["cohort": "c", "persons": 1, "note": String(repeating: "\u{0627}", count: 400)])
        #expect(taken["error"] == nil, "\(taken)")
        let history = try client.call("io.casetrack.Tracker.History", ["cohort": "c"])
        let events = (history["parameters"] as? [String: Any])?["events"] as? [[String: Any]] ?? []
        #expect(events.count == 2, "the refused intake was recorded: \(events)")
        // Eight levels are served; nine close the connection.
        try client.send(#"{"method":"io.casetrack.Tracker.GetStatus","parameters":{"x":[[[[[[]]]]]]}}"#)
        #expect(try client.receive()?["error"] == nil)
        try? client.send(#"{"method":"io.casetrack.Tracker.GetStatus","parameters":{"x":[[[[[[[]]]]]]]}}"#)
        #expect(try client.receive(timeout: 20) == nil, "a message nested 9 deep was served")
        #expect(daemon.process.isRunning)
        #expect(try RawClient(path: daemon.socket).call("io.casetrack.Tracker.GetStatus")["error"] == nil)
    }

    @Test("holds limits.maxConnections connections at once, each served; one more is closed; memory stays bounded")
    func manyConnections() throws {
        let held = 1_000
        // The test and the daemon it starts need a descriptor per connection.
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        if geteuid() == 0 { limit.rlim_max = max(limit.rlim_max, 4096) }  // root may raise the ceiling too
        limit.rlim_cur = max(limit.rlim_cur, min(limit.rlim_max, 4096))
        setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        try #require(limit.rlim_cur >= 2 * UInt(held) + 64, "RLIMIT_NOFILE too low to hold \(held) connections")

        let scratch = try Scratch("connections")
        let daemon = try DaemonProcess(
            scratch: scratch, configuration: "limits: { maxConnections: \(held), maxConnectionsPerUser: \(held) }\n")
        try daemon.start()
        let before = try Self.residentMiB(daemon.process.processIdentifier)
        var clients: [RawClient] = []
        for _ in 0..<held { clients.append(try RawClient(path: daemon.socket)) }
        // Every one of them is served, the first and the last alike.
        for client in clients {
            #expect(try client.call("io.casetrack.Tracker.GetStatus")["error"] == nil)
        }
        let one = try RawClient(path: daemon.socket)
        try? one.send(#"{"method":"io.casetrack.Tracker.GetStatus"}"#)
        #expect(try one.receive() == nil, "connection \(held + 1) was served")
        let after = try Self.residentMiB(daemon.process.processIdentifier)
        print("connections held: \(held), daemon RSS \(before) MiB before, \(after) MiB with them")
        #expect(after - before < 64, "\(held) connections cost \(after - before) MiB")
        clients.removeAll()
        #expect(Self.servesAgain(daemon.socket), "no connection admitted after the others closed")
    }

    /// Whether a new connection is served within about five seconds (the
    /// daemon notices closed connections asynchronously).
    static func servesAgain(_ socket: String) -> Bool {
        for _ in 0..<100 {
            if let client = try? RawClient(path: socket), let reply = try? client.call("io.casetrack.Tracker.GetStatus") {
                if reply["error"] == nil { return true }
            } else {
                usleep(50_000)
            }
        }
        return false
    }

    static func residentMiB(_ pid: Int32) throws -> Int {
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        return (Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0) / 1024
    }
}
