import Foundation
import Testing
import Varlink

#if canImport(Glibc)
    import Glibc
#endif

/// A client calls the service's methods and gets typed replies and errors.
@Suite struct ServiceTests {
    struct Info: Decodable, Sendable {
        var vendor: String
        var product: String
        var version: String
        var url: String
        var interfaces: [String]
    }

    struct Description: Decodable, Sendable {
        var description: String
    }

    @Test func getInfoNamesTheServiceAndEveryInterface() async throws {
        try await TestServer.with { path in
            let client = try await VarlinkClient.connect(unixPath: path)
            let info = try await client.call("org.varlink.service.GetInfo", returning: Info.self)
            #expect(info.vendor == "casetrack")
            #expect(info.product == "varlink-tests")
            #expect(info.version == "1.0")
            #expect(info.url == "https://example.org/casetrack")
            #expect(info.interfaces == ["org.varlink.service", "org.example.test"])
            await client.close()
        }
    }

    @Test func getInterfaceDescriptionReturnsTheIDLVerbatim() async throws {
        try await TestServer.with { path in
            let client = try await VarlinkClient.connect(unixPath: path)
            let test = try await client.call(
                "org.varlink.service.GetInterfaceDescription",
                ["interface": "org.example.test"],
                returning: Description.self
            )
            #expect(test.description == TestInterface().interfaceDescription)
            let service = try await client.call(
                "org.varlink.service.GetInterfaceDescription",
                ["interface": "org.varlink.service"],
                returning: Description.self
            )
            #expect(service.description.contains("interface org.varlink.service"))
            #expect(service.description.contains("error ExpectedMore ()"))

            await #expect(throws: VarlinkClientError.remote(.interfaceNotFound("org.example.missing"))) {
                try await client.call(
                    "org.varlink.service.GetInterfaceDescription",
                    parameters: ["interface": "org.example.missing"]
                )
            }
        }
    }

    @Test func echoRoundTripsTypedParameters() async throws {
        try await TestServer.with { path in
            let client = try await VarlinkClient.connect(unixPath: path)
            let sent = TestInterface.Echo(
                text: "25,000 awaiting",
                count: 25_000,
                item: .init(name: "household", count: 6),
                items: [.init(name: "a", count: 1), .init(name: "b", count: 2)]
            )
            let echoed = try await client.call("org.example.test.Echo", sent, returning: TestInterface.Echo.self)
            #expect(echoed == sent)
        }
    }

    @Test func rawCallsKeepIntegersExact() async throws {
        try await TestServer.with { path in
            let client = try await VarlinkClient.connect(unixPath: path)
            let reply = try await client.call(
                "org.example.test.Echo",
                parameters: ["text": "big", "count": .int(9_007_199_254_740_993)]
            )
            #expect(reply["count"] == .int(9_007_199_254_740_993))
            #expect(reply["text"] == "big")
            #expect(reply["item"] == nil || reply["item"] == .null)
        }
    }

    @Test func unknownInterfaceAndUnknownMethodAreNamedInTheError() async throws {
        try await TestServer.with { path in
            let client = try await VarlinkClient.connect(unixPath: path)
            await #expect(throws: VarlinkClientError.remote(.interfaceNotFound("org.example.nothing"))) {
                try await client.call("org.example.nothing.Echo", parameters: nil)
            }
            await #expect(throws: VarlinkClientError.remote(.methodNotFound("org.example.test.Missing"))) {
                try await client.call("org.example.test.Missing", parameters: nil)
            }
            await #expect(throws: VarlinkClientError.remote(.methodNotFound("NoInterface"))) {
                try await client.call("NoInterface", parameters: nil)
            }
            await #expect(throws: VarlinkClientError.remote(.methodNotFound("org.varlink.service.Nope"))) {
                try await client.call("org.varlink.service.Nope", parameters: nil)
            }
            // The connection is still good after errors.
            let echo = try await client.call("org.example.test.Echo", parameters: ["text": "still here"])
            #expect(echo["text"] == "still here")
        }
    }

    @Test func wrongParameterTypesNameTheParameter() async throws {
        try await TestServer.with { path in
            let client = try await VarlinkClient.connect(unixPath: path)
            func invalid(_ parameters: JSONValue) async -> String? {
                do {
                    _ = try await client.call("org.example.test.Echo", parameters: parameters)
                    return nil
                } catch .remote(let error) where error.name == "org.varlink.service.InvalidParameter" {
                    return error.parameters["parameter"]?.stringValue
                } catch {
                    return "unexpected: \(error)"
                }
            }
            #expect(await invalid(["text": "x", "count": "many"]) == "count")
            #expect(await invalid(["text": 5]) == "text")
            #expect(await invalid(["count": 5]) == "text")
            #expect(await invalid(["text": "x", "item": ["name": "n", "count": "x"]]) == "item.count")
            #expect(await invalid(["text": "x", "item": ["count": 1]]) == "item.name")
            #expect(
                await invalid(["text": "x", "items": [["name": "a", "count": 1], ["name": "b"]]]) == "items[1].count")
            // Foundation's JSONDecoder reports a fraction for an integer without its path.
            let fractional = await invalid(["text": "x", "count": 1.5])
            #expect(fractional == "count" || fractional == "parameters")
            #expect(await invalid(.array([])) == "parameters")
        }
    }

    @Test func absentNullAndEmptyParametersAreTheSame() async throws {
        try await TestServer.with { path in
            let socket = try RawSocket(path: path)
            try await socket.send(#"{"method":"org.example.test.Optional"}"# + "\0")
            try await socket.send(#"{"method":"org.example.test.Optional","parameters":null}"# + "\0")
            try await socket.send(#"{"method":"org.example.test.Optional","parameters":{}}"# + "\0")
            for _ in 0..<3 {
                #expect(await socket.readValue() == json(#"{"parameters":{}}"#))
            }
            // A required parameter missing in each form names the parameter.
            try await socket.send(#"{"method":"org.example.test.Echo"}"# + "\0")
            try await socket.send(#"{"method":"org.example.test.Echo","parameters":null}"# + "\0")
            try await socket.send(#"{"method":"org.example.test.Echo","parameters":{}}"# + "\0")
            for _ in 0..<3 {
                let reply = await socket.readValue()
                #expect(reply?["error"] == "org.varlink.service.InvalidParameter")
                #expect(reply?["parameters"]?["parameter"] == "text")
            }
        }
    }

    @Test func errorsThrownByTheInterfaceReachTheClientWithParameters() async throws {
        try await TestServer.with { path in
            let client = try await VarlinkClient.connect(unixPath: path)
            await #expect(
                throws: VarlinkClientError.remote(
                    VarlinkError(name: "org.example.test.Failed", parameters: ["reason": "no quota"])
                )
            ) {
                try await client.call("org.example.test.Fail", parameters: ["reason": "no quota"])
            }
            await #expect(throws: VarlinkClientError.remote(VarlinkError(name: "org.varlink.service.InternalError"))) {
                try await client.call("org.example.test.Crash", parameters: nil)
            }
        }
    }

    @Test func aMethodThatReturnsWithoutReplyingAnswersWithEmptyParameters() async throws {
        try await TestServer.with { path in
            let socket = try RawSocket(path: path)
            try await socket.send(#"{"method":"org.example.test.Nothing","parameters":{}}"# + "\0")
            #expect(await socket.readValue() == json(#"{"parameters":{}}"#))
        }
    }

    @Test func peerCredentialsAreTheCallingProcess() async throws {
        try await TestServer.with { path in
            let client = try await VarlinkClient.connect(unixPath: path)
            let credentials = try await client.call(
                "org.example.test.WhoAmI", returning: TestInterface.Credentials.self)
            #expect(credentials.uid == getuid())
            #expect(credentials.gid == getgid())
            #expect(credentials.pid == getpid())
        }
    }
}
