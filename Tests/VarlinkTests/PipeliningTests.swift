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
}
