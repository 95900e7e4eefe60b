import Foundation
import Testing

/// A client that speaks bytes, not a library: what the daemon does with
/// exactly what arrives on its socket.
@Suite("Varlink on the wire")
struct RawProtocolTests {
    let scratch: Scratch
    let daemon: DaemonProcess

    init() throws {
        scratch = try Scratch("raw")
        daemon = try DaemonProcess(scratch: scratch)
        try daemon.start()
    }

    @Test("GetInterfaceDescription returns the shipped IDL file, and GetInfo lists the interface")
    func introspection() throws {
        let client = try RawClient(path: daemon.socket)
        let info = try client.call("org.varlink.service.GetInfo")
        let interfaces = (info["parameters"] as? [String: Any])?["interfaces"] as? [String]
        #expect(interfaces?.contains("io.casetrack.Tracker") == true)
        #expect(interfaces?.contains("org.varlink.service") == true)

        let reply = try client.call("org.varlink.service.GetInterfaceDescription", ["interface": "io.casetrack.Tracker"])
        let description = (reply["parameters"] as? [String: Any])?["description"] as? String
        let shipped = try String(
            contentsOfFile: Binaries.packageRoot + "/Sources/CaseTrackDaemon/io.casetrack.Tracker.varlink", encoding: .utf8)
        #expect(description?.trimmingCharacters(in: .whitespacesAndNewlines) == shipped.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    @Test("pipelined calls on one connection are answered in order")
    func pipelined() throws {
        let client = try RawClient(path: daemon.socket)
        _ = try client.call("io.casetrack.Tracker.CreateCohort", ["id": "pipelined", "pipeline": "usrap"])
        var batch: [UInt8] = []
        for index in 1...50 {
            let call = #"{"method":"io.casetrack.Tracker.Intake","parameters":{"cohort":"pipelined","persons":\#(index)}}"#
            batch += Array(call.utf8) + [0]
        }
        batch += Array(#"{"method":"io.casetrack.Tracker.DescribeCohort","parameters":{"id":"pipelined"}}"#.utf8) + [0]
        try client.send(batch)
        var previous: Int = 0
        for index in 1...50 {
            let reply = try #require(try client.receive())
            let event = try #require((reply["parameters"] as? [String: Any])?["event"] as? [String: Any])
            #expect(event["persons"] as? Int == index)
            let seq = try #require(event["seq"] as? Int)
            #expect(seq > previous)
            previous = seq
        }
        let final = try #require(try client.receive())
        let cohort = try #require((final["parameters"] as? [String: Any])?["cohort"] as? [String: Any])
        #expect(cohort["persons"] as? Int == (1...50).reduce(0, +))
    }

    @Test("absent, null and {} parameters are the same")
    func emptyParameters() throws {
        let client = try RawClient(path: daemon.socket)
        for text in [
            #"{"method":"io.casetrack.Tracker.GetStatus"}"#,
            #"{"method":"io.casetrack.Tracker.GetStatus","parameters":null}"#,
            #"{"method":"io.casetrack.Tracker.GetStatus","parameters":{}}"#,
        ] {
            try client.send(text)
            let reply = try #require(try client.receive())
            #expect(reply["error"] == nil, "\(text) → \(reply)")
            #expect((reply["parameters"] as? [String: Any])?["version"] is String)
        }
    }

    @Test("unknown methods and interfaces get the standard errors")
    func unknownMethods() throws {
        let client = try RawClient(path: daemon.socket)
        let method = try client.call("io.casetrack.Tracker.Teleport")
        #expect(method["error"] as? String == "org.varlink.service.MethodNotFound")
        let interface = try client.call("com.example.Nothing.Here")
        #expect(interface["error"] as? String == "org.varlink.service.InterfaceNotFound")
    }

    @Test("a parameter of the wrong type is named in InvalidParameter")
    func wrongTypes() throws {
        let client = try RawClient(path: daemon.socket)
        let reply = try client.call("io.casetrack.Tracker.Intake", ["cohort": "x", "persons": "many"])
        #expect(reply["error"] as? String == "org.varlink.service.InvalidParameter")
        #expect((reply["parameters"] as? [String: Any])?["parameter"] as? String == "persons")
        let missing = try client.call("io.casetrack.Tracker.DescribeCohort", [:])
        #expect(missing["error"] as? String == "org.varlink.service.InvalidParameter")
        #expect((missing["parameters"] as? [String: Any])?["parameter"] as? String == "id")
    }

    @Test("domain refusals are typed errors with their facts")
    func typedErrors() throws {
        let client = try RawClient(path: daemon.socket)
        _ = try client.call("io.casetrack.Tracker.CreateCohort", ["id": "facts", "pipeline": "usrap"])
        let missing = try client.call("io.casetrack.Tracker.DescribeCohort", ["id": "nowhere"])
        #expect(missing["error"] as? String == "io.casetrack.Tracker.NoSuchCohort")
        _ = try client.call("io.casetrack.Tracker.Intake", ["cohort": "facts", "persons": 10])
        let short = try client.call(
            "io.casetrack.Tracker.Move", ["cohort": "facts", "from": "referred", "to": "prescreened", "persons": 11])
        #expect(short["error"] as? String == "io.casetrack.Tracker.InsufficientCount")
        let facts = short["parameters"] as? [String: Any]
        #expect(facts?["available"] as? Int == 10)
        #expect(facts?["requested"] as? Int == 11)
        let skip = try client.call(
            "io.casetrack.Tracker.Move", ["cohort": "facts", "from": "referred", "to": "arrived", "persons": 1])
        #expect(skip["error"] as? String == "io.casetrack.Tracker.InvalidTransition")
        #expect(((skip["parameters"] as? [String: Any])?["allowed"] as? [String])?.contains("prescreened") == true)
        let watch = try client.call("io.casetrack.Tracker.Watch", [:])
        #expect(watch["error"] as? String == "org.varlink.service.ExpectedMore")
    }

    @Test("a connection that breaks framing is closed; other clients carry on")
    func malformedFrames() throws {
        let bystander = try RawClient(path: daemon.socket)
        for garbage in ["{not json", "[1,2,3]", #"{"parameters":{}}"#, "\"just a string\""] {
            let client = try RawClient(path: daemon.socket)
            try client.send(garbage)
            var closed = false
            for _ in 0..<3 {
                guard let reply = try client.receive() else {
                    closed = true
                    break
                }
                #expect(reply["error"] != nil)
            }
            #expect(closed, "connection stayed open after \(garbage)")
        }
        let oversize = try RawClient(path: daemon.socket)
        let big = [UInt8](repeating: UInt8(ascii: "a"), count: 2 << 20)
        try? oversize.send(Array(#"{"method":"io.casetrack.Tracker.GetStatus","parameters":{"x":""#.utf8) + big)
        var closed = false
        while let _ = try? oversize.receive(timeout: 10) {}
        closed = true
        #expect(closed)
        let status = try bystander.call("io.casetrack.Tracker.GetStatus")
        #expect(status["error"] == nil)
    }

    @Test("Watch streams committed events to a subscriber")
    func watch() throws {
        let watcher = try RawClient(path: daemon.socket)
        let writer = try RawClient(path: daemon.socket)
        _ = try writer.call("io.casetrack.Tracker.CreateCohort", ["id": "watched", "pipeline": "afghan-siv"])
        try watcher.send(#"{"method":"io.casetrack.Tracker.Watch","parameters":{"cohort":"watched","afterSeq":0},"more":true}"#)
        let first = try #require(try watcher.receive())
        #expect(first["continues"] as? Bool == true)
        let created = (first["parameters"] as? [String: Any])?["event"] as? [String: Any]
        #expect(created?["kind"] as? String == "cohort-created")
        _ = try writer.call("io.casetrack.Tracker.Intake", ["cohort": "watched", "persons": 7])
        let second = try #require(try watcher.receive())
        let intake = (second["parameters"] as? [String: Any])?["event"] as? [String: Any]
        #expect(intake?["kind"] as? String == "intake")
        #expect(intake?["persons"] as? Int == 7)
    }
}
