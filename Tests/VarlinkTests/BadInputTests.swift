import Foundation
import Testing
import Varlink

/// A client that breaks the protocol loses its connection, and only its own:
/// the server keeps serving everyone else.
@Suite struct BadInputTests {
    /// Sends `bytes` on a fresh connection and returns what came back before the close.
    private func replies(to bytes: String, path: String) async throws -> [RawSocket.Read] {
        let socket = try RawSocket(path: path)
        try await socket.send(bytes)
        var reads: [RawSocket.Read] = []
        while true {
            let read = await socket.read()
            reads.append(read)
            if case .message = read { continue }
            return reads
        }
    }

    private func expectServing(_ path: String) async throws {
        let client = try await VarlinkClient.connect(unixPath: path)
        let echo = try await client.call("org.example.test.Echo", parameters: ["text": "fine"])
        #expect(echo["text"] == "fine")
        await client.close()
    }

    @Test func nestingDeeperThanTheLimitClosesTheConnectionBeforeDecoding() async throws {
        let configuration = TestServer.configuration { $0.maxNestingDepth = 4 }
        try await TestServer.with(configuration: configuration) { path in
            let socket = try RawSocket(path: path)
            try await socket.send(#"{"method":"org.example.test.Echo","parameters":{"text":"ok","x":[[]]}}"# + "\0")
            #expect(await socket.read() == .message(#"{"parameters":{"text":"ok"}}"#), "a call nested 4 deep")
            // Brackets inside strings are text, not nesting.
            try await socket.send(#"{"method":"org.example.test.Echo","parameters":{"text":"[[[[[[{{{{"}}"# + "\0")
            #expect(await socket.read() == .message(#"{"parameters":{"text":"[[[[[[{{{{"}}"#))
            let five = #"{"method":"org.example.test.Echo","parameters":{"text":"ok","x":[[[]]]}}"# + "\0"
            #expect(try await replies(to: five, path: path) == [.closed])
            try await expectServing(path)
        }
    }

    @Test func aStringLongerThanTheLimitIsRefusedNamingItsParameter() async throws {
        // Long enough for the method name (21 bytes), no longer.
        let configuration = TestServer.configuration { $0.maxStringBytes = 24 }
        try await TestServer.with(configuration: configuration) { path in
            let socket = try RawSocket(path: path)
            // 24 bytes as sent pass; escapes count as sent.
            try await socket.send(#"{"method":"org.example.test.Echo","parameters":{"text":"0123456789abcdef01234567"}}"# + "\0")
            #expect(await socket.read() == .message(#"{"parameters":{"text":"0123456789abcdef01234567"}}"#))
            for (parameters, field) in [
                (#"{"text":"0123456789abcdef012345678"}"#, "text"),
                (#"{"text":"\\\\\\\\\\\\\\\\\\\\\\\\\\"}"#, "text"),
                (#"{"text":"ok","unknown":["0123456789abcdef012345678"]}"#, "unknown"),
                (#"{"text":"ok","0123456789abcdef012345678":1}"#, "parameters"),
                (#"{"text":"ok"},"more0123456789abcdef012345678":1"#, "message"),
            ] {
                try await socket.send(#"{"method":"org.example.test.Echo","parameters":"# + parameters + "}\0")
                guard case .message(let reply) = await socket.read() else {
                    Issue.record("no answer to \(parameters)")
                    return
                }
                #expect(reply.contains(#""error":"org.varlink.service.InvalidParameter""#), "\(parameters): \(reply)")
                #expect(reply.contains(#""parameter":""# + field + "\""), "\(parameters): \(reply)")
            }
            // A oneway call with a long string is dropped unanswered; the connection goes on.
            try await socket.send(
                #"{"method":"org.example.test.Echo","oneway":true,"parameters":{"text":"0123456789abcdef012345678"}}"# + "\0")
            try await socket.send(#"{"method":"org.example.test.Echo","parameters":{"text":"after"}}"# + "\0")
            #expect(await socket.read() == .message(#"{"parameters":{"text":"after"}}"#))
            try await expectServing(path)
        }
    }

    @Test func invalidJSONClosesTheConnection() async throws {
        try await TestServer.with { path in
            #expect(try await replies(to: "{not json\0", path: path) == [.closed])
            #expect(try await replies(to: "\0", path: path) == [.closed])
            #expect(try await replies(to: "\u{FF}\u{FE}\0", path: path) == [.closed])
            try await expectServing(path)
        }
    }

    @Test func aMessageThatIsNotAnObjectClosesTheConnection() async throws {
        try await TestServer.with { path in
            #expect(try await replies(to: "[1,2,3]\0", path: path) == [.closed])
            #expect(try await replies(to: "\"GetInfo\"\0", path: path) == [.closed])
            #expect(try await replies(to: "42\0", path: path) == [.closed])
            try await expectServing(path)
        }
    }

    @Test func aCallWithoutAMethodIsAnsweredAndClosed() async throws {
        try await TestServer.with { path in
            let reads = try await replies(to: #"{"parameters":{}}"# + "\0", path: path)
            #expect(reads.count == 2)
            #expect(reads.last == .closed)
            if case .message(let text) = reads.first {
                #expect(text.contains("org.varlink.service.InvalidParameter"))
                #expect(text.contains(#""parameter":"method""#))
            }
            let wrongType = try await replies(to: #"{"method":7}"# + "\0", path: path)
            #expect(wrongType.last == .closed)
            let badFlag = try await replies(to: #"{"method":"org.example.test.Echo","more":"yes"}"# + "\0", path: path)
            #expect(badFlag.count == 2)
            if case .message(let text) = badFlag.first {
                #expect(text.contains(#""parameter":"more""#))
            }
            try await expectServing(path)
        }
    }

    @Test func anOversizedMessageClosesTheConnection() async throws {
        try await TestServer.with(configuration: TestServer.configuration { $0.maxMessageBytes = 1024 }) { path in
            // Without a terminator: closed once the limit is passed.
            let endless = String(repeating: "x", count: 4096)
            #expect(try await replies(to: endless, path: path) == [.closed])
            // With one, but too long.
            let long =
                #"{"method":"org.example.test.Echo","parameters":{"text":""#
                + String(repeating: "y", count: 2000) + #""}}"# + "\0"
            #expect(try await replies(to: long, path: path) == [.closed])
            // Just under the limit is fine.
            let fits =
                #"{"method":"org.example.test.Echo","parameters":{"text":""#
                + String(repeating: "z", count: 900) + #""}}"# + "\0"
            let reads = try RawSocket(path: path)
            try await reads.send(fits)
            if case .message(let text) = await reads.read() {
                #expect(text.count > 900)
            } else {
                Issue.record("no reply to a message under the limit")
            }
            try await expectServing(path)
        }
    }

    @Test func earlierCallsAreAnsweredBeforeABrokenMessageCloses() async throws {
        try await TestServer.with { path in
            let reads = try await replies(
                to: #"{"method":"org.example.test.Sleep","parameters":{"milliseconds":50,"tag":"kept"}}"# + "\0"
                    + "garbage\0",
                path: path
            )
            #expect(reads == [.message(#"{"parameters":{"tag":"kept"}}"#), .closed])
        }
    }

    /// A reply bigger than the socket's buffers is still being written when
    /// the connection closes (after a broken message, or after the client
    /// stops sending); it must reach the client whole. (Found by the fuzzer.)
    @Test func aLargeLastReplyReachesTheClientWholeBeforeTheClose() async throws {
        let text = String(repeating: "0123456789", count: 60_000)  // 600 kB out, more than a socket buffer
        let expected = #"{"parameters":{"text":""# + text + #""}}"#
        try await TestServer.with(configuration: TestServer.configuration { $0.maxStringBytes = 1 << 20 }) { path in
            for ending in ["garbage\0", ""] {
                let socket = try RawSocket(path: path)
                try await socket.send(#"{"method":"org.example.test.Echo","parameters":{"text":""# + text + #""}}"# + "\0" + ending)
                if ending.isEmpty { socket.shutdownWrite() }
                // Let the server reach the close while the reply waits for the client to read.
                try await Task.sleep(for: .milliseconds(300))
                #expect(await socket.read() == .message(expected), "reply cut short (ending \(ending.debugDescription))")
                #expect(await socket.read() == .closed)
            }
        }
    }

    @Test func aSlowOrSilentClientDoesNotBlockOthers() async throws {
        try await TestServer.with { path in
            // One client sends half a message and goes quiet; another a never-ending stream.
            let silent = try RawSocket(path: path)
            try await silent.send(#"{"method":"org.example.te"#)
            let streaming = try RawSocket(path: path)
            try await streaming.send(#"{"method":"org.example.test.Ticks","more":true}"# + "\0")
            _ = await streaming.read()
            try await expectServing(path)
        }
    }

    @Test func connectionsBeyondTheLimitAreClosed() async throws {
        try await TestServer.with(configuration: TestServer.configuration { $0.maxConnections = 2 }) { path in
            let first = try await VarlinkClient.connect(unixPath: path)
            let second = try await VarlinkClient.connect(unixPath: path)
            _ = try await first.call("org.example.test.Echo", parameters: ["text": "1"])
            _ = try await second.call("org.example.test.Echo", parameters: ["text": "2"])
            let third = try RawSocket(path: path)
            // The server may close before the call is even sent.
            try? await third.send(#"{"method":"org.example.test.Echo","parameters":{"text":"3"}}"# + "\0")
            #expect(await third.read() == .closed)
            await first.close()
            // A slot frees once a connection closes.
            var served = false
            for _ in 0..<50 where !served {
                let fourth = try await VarlinkClient.connect(unixPath: path)
                served = (try? await fourth.call("org.example.test.Echo", parameters: ["text": "4"])) != nil
                if !served { try await Task.sleep(for: .milliseconds(20)) }
            }
            #expect(served)
        }
    }

    @Test func idleConnectionsAreClosedButQuietStreamsAreNot() async throws {
        // Generous times: on a loaded machine the call may wait a while between
        // being read and being admitted, and the idle timer must not win that race.
        try await TestServer.with(configuration: TestServer.configuration { $0.idleTimeout = .seconds(3) }) {
            path in
            let streaming = try RawSocket(path: path)
            try await streaming.send(
                #"{"method":"org.example.test.Sleep","parameters":{"milliseconds":6000,"tag":"slow"}}"# + "\0")
            let idle = try RawSocket(path: path)
            #expect(await idle.read() == .closed)
            #expect(await streaming.readValue() == json(#"{"parameters":{"tag":"slow"}}"#))
        }
    }
}
