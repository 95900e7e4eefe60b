import Foundation
import Testing
import Varlink

/// Many clients, each pipelining calls, are served quickly. Prints the rate;
/// the floor is low so that a debug build on a busy machine passes (a release
/// build on two cores does far better).
@Suite struct ThroughputTests {
    @Test func pipelinedEchoCallsFromSeveralClients() async throws {
        let clients = 4
        let callsPerClient = 2_500
        let window = 32
        try await TestServer.with { path in
            let start = ContinuousClock.now
            try await withThrowingTaskGroup(of: Void.self) { group in
                for clientIndex in 0..<clients {
                    group.addTask {
                        let client = try await VarlinkClient.connect(unixPath: path)
                        try await withThrowingTaskGroup(of: Void.self) { calls in
                            for index in 0..<callsPerClient {
                                if index >= window { try await calls.next() }
                                calls.addTask {
                                    let echo = try await client.call(
                                        "org.example.test.Echo",
                                        TestInterface.Echo(text: "c\(clientIndex)-\(index)", count: index),
                                        returning: TestInterface.Echo.self
                                    )
                                    #expect(echo.count == index)
                                }
                            }
                            try await calls.waitForAll()
                        }
                        await client.close()
                    }
                }
                try await group.waitForAll()
            }
            let elapsed = ContinuousClock.now - start
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            let rate = Double(clients * callsPerClient) / seconds
            print("Varlink throughput: \(Int(rate)) calls/s (\(clients) clients, window \(window))")
            #expect(rate > 100)
        }
    }
}
