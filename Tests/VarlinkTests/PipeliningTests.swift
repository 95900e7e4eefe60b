import Foundation
import Testing
import Varlink

/// Calls sent back to back on one connection are answered in the order sent,
/// however long each takes; streams and oneway calls keep that order.
@Suite struct PipeliningTests {
    @Test func pipelinedCallsAreAnsweredInCallOrder() async throws {
        try await TestServer.with { path in
            let socket = try RawSocket(path: path)
            // The first call is the slowest; its reply must still come first.
            try await socket.send(
                #"{"method":"org.example.test.Sleep","parameters":{"milliseconds":150,"tag":"a"}}"# + "\0"
                    + #"{"method":"org.example.test.Sleep","parameters":{"milliseconds":0,"tag":"b"}}"# + "\0"
                    + #"{"method":"org.example.test.Echo","parameters":{"text":"c"}}"# + "\0"
                    + #"{"method":"org.example.test.Sleep","parameters":{"milliseconds":50,"tag":"d"}}"# + "\0"
            )
            #expect(await socket.readValue() == json(#"{"parameters":{"tag":"a"}}"#))
            #expect(await socket.readValue() == json(#"{"parameters":{"tag":"b"}}"#))
            #expect(await socket.readValue() == json(#"{"parameters":{"text":"c"}}"#))
            #expect(await socket.readValue() == json(#"{"parameters":{"tag":"d"}}"#))
        }
    }

    @Test func pipelinedCallsRunConcurrently() async throws {
        try await TestServer.with { path in
            let socket = try RawSocket(path: path)
            let start = ContinuousClock.now
            var calls = ""
            for index in 0..<10 {
                calls +=
                    #"{"method":"org.example.test.Sleep","parameters":{"milliseconds":1000,"tag":"\#(index)"}}"# + "\0"
            }
            try await socket.send(calls)
            for index in 0..<10 {
                #expect(await socket.readValue() == json(#"{"parameters":{"tag":"\#(index)"}}"#))
            }
            // One after another would take 10 s; together about 1 s, with room for a loaded machine.
            #expect(ContinuousClock.now - start < .seconds(6))
        }
    }

    @Test func withOneCallInFlightCallsRunOneAfterAnother() async throws {
        try await TestServer.with(configuration: TestServer.configuration { $0.maxInFlightPerConnection = 1 }) { path in
            let socket = try RawSocket(path: path)
            let start = ContinuousClock.now
            try await socket.send(
                #"{"method":"org.example.test.Sleep","parameters":{"milliseconds":100,"tag":"a"}}"# + "\0"
                    + #"{"method":"org.example.test.Sleep","parameters":{"milliseconds":100,"tag":"b"}}"# + "\0"
                    + #"{"method":"org.example.test.Sleep","parameters":{"milliseconds":100,"tag":"c"}}"# + "\0"
            )
            #expect(await socket.readValue() == json(#"{"parameters":{"tag":"a"}}"#))
            #expect(await socket.readValue() == json(#"{"parameters":{"tag":"b"}}"#))
            #expect(await socket.readValue() == json(#"{"parameters":{"tag":"c"}}"#))
            #expect(ContinuousClock.now - start >= .milliseconds(300))
        }
    }

    @Test func manyConcurrentClientCallsEachGetTheirOwnReply() async throws {
        try await TestServer.with { path in
            let client = try await VarlinkClient.connect(unixPath: path)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<2000 {
                    group.addTask {
                        let echo = try await client.call(
                            "org.example.test.Echo",
                            TestInterface.Echo(text: "call \(index)", count: index),
                            returning: TestInterface.Echo.self
                        )
                        #expect(echo.text == "call \(index)")
                        #expect(echo.count == index)
                    }
                }
                try await group.waitForAll()
            }
            await client.close()
        }
    }

    @Test func moreStreamsRepliesAndEndsWithoutContinues() async throws {
        try await TestServer.with { path in
            let socket = try RawSocket(path: path)
            try await socket.send(
                #"{"method":"org.example.test.Count","parameters":{"upTo":3},"more":true}"# + "\0"
                    + #"{"method":"org.example.test.Echo","parameters":{"text":"after"}}"# + "\0"
            )
            #expect(await socket.readValue() == json(#"{"parameters":{"value":1},"continues":true}"#))
            #expect(await socket.readValue() == json(#"{"parameters":{"value":2},"continues":true}"#))
            #expect(await socket.readValue() == json(#"{"parameters":{"value":3}}"#))
            #expect(await socket.readValue() == json(#"{"parameters":{"text":"after"}}"#))
        }
    }

    @Test func aStreamingCallBehindAnotherWaitsItsTurn() async throws {
        try await TestServer.with { path in
            let socket = try RawSocket(path: path)
            try await socket.send(
                #"{"method":"org.example.test.Sleep","parameters":{"milliseconds":100,"tag":"first"}}"# + "\0"
                    + #"{"method":"org.example.test.Count","parameters":{"upTo":2},"more":true}"# + "\0"
            )
            #expect(await socket.readValue() == json(#"{"parameters":{"tag":"first"}}"#))
            #expect(await socket.readValue() == json(#"{"parameters":{"value":1},"continues":true}"#))
            #expect(await socket.readValue() == json(#"{"parameters":{"value":2}}"#))
        }
    }

    @Test func theClientStreamsMoreReplies() async throws {
        try await TestServer.with { path in
            let client = try await VarlinkClient.connect(unixPath: path)
            var values: [Int] = []
            for try await reply in client.callMore(
                "org.example.test.Count",
                TestInterface.UpTo(upTo: 5),
                returning: TestInterface.Value.self
            ) {
                values.append(reply.value)
            }
            #expect(values == [1, 2, 3, 4, 5])

            var raw: [JSONValue] = []
            for try await reply in client.callMore("org.example.test.Count", parameters: ["upTo": 2]) {
                raw.append(reply)
            }
            #expect(raw == [["value": 1], ["value": 2]])
        }
    }

    @Test func aStreamingMethodCalledWithoutMoreAnswersExpectedMore() async throws {
        try await TestServer.with { path in
            let client = try await VarlinkClient.connect(unixPath: path)
            await #expect(throws: VarlinkClientError.remote(.expectedMore)) {
                try await client.call("org.example.test.Count", parameters: ["upTo": 2])
            }
        }
    }

    @Test func onewayCallsGetNoReplyButAreHandled() async throws {
        let interface = TestInterface()
        try await TestServer.with(interface: interface) { path in
            let socket = try RawSocket(path: path)
            try await socket.send(
                #"{"method":"org.example.test.Remember","parameters":{"tag":"x"},"oneway":true}"# + "\0"
                    + #"{"method":"org.example.test.Fail","parameters":{"reason":"quiet"},"oneway":true}"# + "\0"
                    + #"{"method":"org.example.test.Echo","parameters":{"text":"only reply"}}"# + "\0"
            )
            #expect(await socket.readValue() == json(#"{"parameters":{"text":"only reply"}}"#))

            let client = try await VarlinkClient.connect(unixPath: path)
            try await client.callOneway("org.example.test.Remember", TestInterface.Tag(tag: "y"))
            // A later call on the same connection sees the oneway call's effect
            // once it has been handled; poll briefly, as the calls may run concurrently.
            var tags: [String] = []
            for _ in 0..<50 {
                tags = try await client.call("org.example.test.Remembered", returning: TestInterface.Tags.self).tags
                if tags.count == 2 { break }
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(Set(tags) == ["x", "y"])
        }
    }

    @Test func upgradeIsRefused() async throws {
        try await TestServer.with { path in
            let socket = try RawSocket(path: path)
            try await socket.send(
                #"{"method":"org.example.test.Echo","parameters":{"text":"x"},"upgrade":true}"# + "\0")
            let reply = await socket.readValue()
            #expect(reply?["error"] == "org.varlink.service.InvalidParameter")
            #expect(reply?["parameters"]?["parameter"] == "upgrade")
            try await socket.send(#"{"method":"org.example.test.Echo","parameters":{"text":"y"}}"# + "\0")
            #expect(await socket.readValue() == json(#"{"parameters":{"text":"y"}}"#))
        }
    }

    @Test func aClientThatStopsSendingStillGetsItsReplies() async throws {
        try await TestServer.with { path in
            let socket = try RawSocket(path: path)
            try await socket.send(
                #"{"method":"org.example.test.Sleep","parameters":{"milliseconds":50,"tag":"late"}}"# + "\0"
            )
            socket.shutdownWrite()
            #expect(await socket.readValue() == json(#"{"parameters":{"tag":"late"}}"#))
            #expect(await socket.read() == .closed)
        }
    }

    /// A call answered at once with nothing ahead of it is answered on the
    /// event loop that read it; behind a call in flight, by the connection's
    /// reading task once its turn comes.
    @Test func aCallAnsweredAtOnceIsAnsweredOnTheEventLoopWhenNothingIsAhead() async throws {
        try await TestServer.with { path in
            let socket = try RawSocket(path: path)
            try await socket.warmUp()
            try await socket.send(#"{"method":"org.example.test.Where","parameters":{"tag":"alone"}}"# + "\0")
            #expect(await socket.readValue() == json(#"{"parameters":{"tag":"alone","eventLoop":true}}"#))
            // Behind a call in flight it waits its turn on the reading task.
            try await socket.send(
                #"{"method":"org.example.test.Sleep","parameters":{"milliseconds":100,"tag":"first"}}"# + "\0"
                    + #"{"method":"org.example.test.Where","parameters":{"tag":"behind"}}"# + "\0")
            #expect(await socket.readValue() == json(#"{"parameters":{"tag":"first"}}"#))
            #expect(await socket.readValue() == json(#"{"parameters":{"tag":"behind","eventLoop":false}}"#))
            // Once that is answered and written, the event loop answers again.
            try await socket.send(#"{"method":"org.example.test.Where","parameters":{"tag":"again"}}"# + "\0")
            #expect(await socket.readValue() == json(#"{"parameters":{"tag":"again","eventLoop":true}}"#))
            // Errors too: a bad parameter of an at-once method.
            try await socket.send(#"{"method":"org.example.test.Where","parameters":{"tag":1}}"# + "\0")
            #expect(await socket.readValue() == json(
                #"{"error":"org.varlink.service.InvalidParameter","parameters":{"parameter":"tag"}}"#))
        }
    }

    /// Replies answered on the event loop and by tasks interleave in call
    /// order, however the two race: calls answered at once alternate with
    /// calls that take a task, sent in bursts and one by one.
    @Test func answersAtOnceAndFromTasksKeepCallOrder() async throws {
        try await TestServer.with { path in
            let socket = try RawSocket(path: path)
            for round in 0..<60 {
                var calls = ""
                var expected: [JSONValue?] = []
                for index in 0..<50 {
                    let tag = "\(round).\(index)"
                    switch index % 4 {
                    case 3:
                        calls += #"{"method":"org.example.test.Deferred","parameters":{"milliseconds":0,"tag":"\#(tag)"}}"# + "\0"
                        expected.append(.string(tag))
                    case 0:
                        calls += #"{"method":"org.example.test.Sleep","parameters":{"milliseconds":0,"tag":"\#(tag)"}}"# + "\0"
                        expected.append(json(#"{"parameters":{"tag":"\#(tag)"}}"#))
                    case 1:
                        calls += #"{"method":"org.example.test.Echo","parameters":{"text":"\#(tag)"}}"# + "\0"
                        expected.append(json(#"{"parameters":{"text":"\#(tag)"}}"#))
                    default:
                        calls += #"{"method":"org.varlink.service.GetInfo"}"# + "\0"
                        expected.append(nil)
                    }
                }
                let check = { (got: JSONValue?, reply: JSONValue?) in
                    switch reply {
                    case .string(let tag)?: #expect(got?["parameters"]?["tag"] == .string(tag))
                    case let reply?: #expect(got == reply)
                    case nil: #expect(got?["parameters"]?["vendor"] != nil)
                    }
                }
                let messages = calls.split(separator: "\0").map { String($0) + "\0" }
                switch round % 3 {
                case 0:
                    // In one burst.
                    try await socket.send(calls)
                    for reply in expected { check(await socket.readValue(), reply) }
                case 1:
                    // A write each, without waiting for replies: a call may
                    // arrive while the reply before it is on its way out.
                    for message in messages { try await socket.send(message) }
                    for reply in expected { check(await socket.readValue(), reply) }
                default:
                    // One by one, reading each reply before the next call.
                    for (message, reply) in zip(messages, expected) {
                        try await socket.send(message)
                        check(await socket.readValue(), reply)
                    }
                }
            }
        }
    }

    /// A call its interface starts without a task (finishing it from another
    /// thread) is answered from the event loop, in call order with the rest,
    /// with its errors answered as a handler's would be.
    @Test func aCallStartedWithoutATaskIsAnsweredInOrder() async throws {
        try await TestServer.with { path in
            let socket = try RawSocket(path: path)
            try await socket.warmUp()
            try await socket.send(
                #"{"method":"org.example.test.Deferred","parameters":{"milliseconds":100,"tag":"slow"}}"# + "\0"
                    + #"{"method":"org.example.test.Echo","parameters":{"text":"after"}}"# + "\0"
                    + #"{"method":"org.example.test.Deferred","parameters":{"milliseconds":0,"tag":"behind"}}"# + "\0")
            #expect(await socket.readValue() == json(#"{"parameters":{"tag":"slow","eventLoop":true}}"#))
            #expect(await socket.readValue() == json(#"{"parameters":{"text":"after"}}"#))
            #expect(await socket.readValue() == json(#"{"parameters":{"tag":"behind","eventLoop":false}}"#))
            try await socket.send(
                #"{"method":"org.example.test.Deferred","parameters":{"milliseconds":10,"tag":"f","outcome":"fail"}}"# + "\0")
            #expect(await socket.readValue() == json(
                #"{"error":"org.example.test.Failed","parameters":{"reason":"deferred"}}"#))
            try await socket.send(
                #"{"method":"org.example.test.Deferred","parameters":{"milliseconds":10,"tag":"c","outcome":"crash"}}"# + "\0")
            #expect(await socket.readValue()?["error"] == "org.varlink.service.InternalError")
            try await socket.send(#"{"method":"org.example.test.Deferred","parameters":{"tag":"no delay given"}}"# + "\0")
            #expect(await socket.readValue() == json(
                #"{"error":"org.varlink.service.InvalidParameter","parameters":{"parameter":"milliseconds"}}"#))
        }
    }

    /// A client that hangs up while its started call runs does not stop the
    /// server from finishing it, nor from serving others.
    @Test func aClientThatLeavesDuringAStartedCallLeavesNothingBehind() async throws {
        try await TestServer.with { path in
            do {
                let socket = try RawSocket(path: path)
                try await socket.send(
                    #"{"method":"org.example.test.Deferred","parameters":{"milliseconds":100,"tag":"orphan"}}"# + "\0")
            }
            try await Task.sleep(for: .milliseconds(200))
            let socket = try RawSocket(path: path)
            try await socket.warmUp()
            try await socket.send(#"{"method":"org.example.test.Deferred","parameters":{"milliseconds":0,"tag":"next"}}"# + "\0")
            #expect(await socket.readValue() == json(#"{"parameters":{"tag":"next","eventLoop":true}}"#))
        }
    }
}

extension RawSocket {
    /// Makes a first call and reads its reply: calls that arrive before the
    /// server has admitted the connection wait for its reading task.
    func warmUp() async throws {
        try await send(#"{"method":"org.example.test.Echo","parameters":{"text":"warm-up"}}"# + "\0")
        #expect(await readValue() == json(#"{"parameters":{"text":"warm-up"}}"#))
    }
}
