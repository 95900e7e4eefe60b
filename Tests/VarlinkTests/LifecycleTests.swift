import Foundation
import Testing
import Varlink

#if canImport(Glibc)
    import Glibc
#endif

/// How the server takes its socket, guards it, and lets go of it.
@Suite struct LifecycleTests {
    private func fileMode(of path: String) -> mode_t? {
        var status = stat()
        guard lstat(path, &status) == 0 else { return nil }
        return status.st_mode
    }

    @Test func theSocketFileIsGroupReadableOnlyAndRemovedOnStop() async throws {
        let path = try await TestServer.with { path in
            let mode = try #require(fileMode(of: path))
            #expect(mode & S_IFMT == S_IFSOCK)
            #expect(mode & 0o777 == 0o660)
            return path
        }
        #expect(fileMode(of: path) == nil)
    }

    @Test func theSocketModeIsConfigurable() async throws {
        let path = TestServer.socketPath()
        try await TestServer.with(listen: .path(path, mode: 0o600, group: getgid())) { _ in
            #expect(fileMode(of: path).map { $0 & 0o777 } == 0o600)
        }
    }

    @Test func aStaleSocketFileIsReplaced() async throws {
        let path = TestServer.socketPath()
        // A socket file with no server behind it, as a crashed daemon leaves.
        let fd = try bindUnixSocket(path, listening: false)
        close(fd)
        #expect(fileMode(of: path) != nil)
        try await TestServer.with(listen: .path(path)) { _ in
            let client = try await VarlinkClient.connect(unixPath: path)
            _ = try await client.call("org.varlink.service.GetInfo", parameters: nil)
        }
    }

    @Test func aSocketInUseIsNotTakenOver() async throws {
        let path = TestServer.socketPath()
        try await TestServer.with(listen: .path(path)) { _ in
            let second = VarlinkServer(
                listen: .path(path),
                configuration: TestServer.configuration,
                interfaces: [],
                logger: TestServer.logger
            )
            await #expect(throws: VarlinkServerError.self) {
                try await second.run()
            }
            // The first server still serves.
            let client = try await VarlinkClient.connect(unixPath: path)
            _ = try await client.call("org.varlink.service.GetInfo", parameters: nil)
        }
    }

    @Test func aPathThatIsNotASocketIsLeftAlone() async throws {
        let path = TestServer.socketPath()
        #expect(FileManager.default.createFile(atPath: path, contents: Data("keep".utf8)))
        defer { unlink(path) }
        let server = VarlinkServer(
            listen: .path(path),
            configuration: TestServer.configuration,
            interfaces: [],
            logger: TestServer.logger
        )
        await #expect(throws: VarlinkServerError.self) {
            try await server.run()
        }
        #expect(FileManager.default.contents(atPath: path) == Data("keep".utf8))
    }

    @Test func anAdoptedListeningSocketIsServed() async throws {
        let path = TestServer.socketPath()
        let fd = try bindUnixSocket(path, listening: true)
        defer { unlink(path) }
        try await TestServer.with(listen: .adopted(fd: fd)) { _ in
            let client = try await VarlinkClient.connect(unixPath: path)
            let info = try await client.call("org.varlink.service.GetInfo", parameters: nil)
            #expect(info["product"] == "varlink-tests")
            let credentials = try await client.call(
                "org.example.test.WhoAmI", returning: TestInterface.Credentials.self)
            #expect(credentials.uid == getuid())
        }
    }

    @Test func duplicateInterfacesAreRefused() async throws {
        let server = VarlinkServer(
            listen: .path(TestServer.socketPath()),
            configuration: TestServer.configuration,
            interfaces: [TestInterface(), TestInterface()],
            logger: TestServer.logger
        )
        await #expect(throws: VarlinkServerError.duplicateInterface("org.example.test")) {
            try await server.run()
        }
    }

    @Test func shutdownLetsRunningCallsFinishAndEndsStreams() async throws {
        let path = TestServer.socketPath()
        let interface = TestInterface()
        let server = VarlinkServer(
            listen: .path(path),
            configuration: TestServer.configuration,
            interfaces: [interface],
            logger: TestServer.logger
        )
        let (listening, listeningContinuation) = AsyncStream<Void>.makeStream()
        let serving = Task { try await server.run(onListening: { listeningContinuation.yield() }) }
        var iterator = listening.makeAsyncIterator()
        _ = await iterator.next()

        let slow = try RawSocket(path: path)
        try await slow.send(
            #"{"method":"org.example.test.Sleep","parameters":{"milliseconds":300,"tag":"done"}}"# + "\0")
        let watcher = try RawSocket(path: path)
        try await watcher.send(#"{"method":"org.example.test.Ticks","more":true}"# + "\0")
        #expect(await watcher.read() != .closed)
        // Calls not yet read when shutdown begins are not started; wait until this one runs.
        while !interface.memory.all.contains("sleeping:done") {
            try await Task.sleep(for: .milliseconds(5))
        }

        let stopping = ContinuousClock.now
        serving.cancel()
        #expect(await slow.readValue() == json(#"{"parameters":{"tag":"done"}}"#))
        #expect(await slow.read() == .closed)
        var watcherRead = await watcher.read()
        while case .message = watcherRead { watcherRead = await watcher.read() }
        #expect(watcherRead == .closed)
        try await serving.value
        #expect(ContinuousClock.now - stopping < .seconds(3))
        #expect(fileMode(of: path) == nil)
        #expect(throws: (any Error).self) { try RawSocket(path: path) }
    }

    @Test func shutdownCancelsCallsThatOutlastTheGracePeriod() async throws {
        let path = TestServer.socketPath()
        var configuration = TestServer.configuration
        configuration.shutdownGracePeriod = .milliseconds(100)
        let server = VarlinkServer(
            listen: .path(path),
            configuration: configuration,
            interfaces: [TestInterface()],
            logger: TestServer.logger
        )
        let (listening, listeningContinuation) = AsyncStream<Void>.makeStream()
        let serving = Task { try await server.run(onListening: { listeningContinuation.yield() }) }
        var iterator = listening.makeAsyncIterator()
        _ = await iterator.next()

        let slow = try RawSocket(path: path)
        try await slow.send(
            #"{"method":"org.example.test.Sleep","parameters":{"milliseconds":60000,"tag":"never"}}"# + "\0")
        try await Task.sleep(for: .milliseconds(50))
        let stopping = ContinuousClock.now
        serving.cancel()
        try await serving.value
        #expect(ContinuousClock.now - stopping < .seconds(2))
        #expect(await slow.read() == .closed)
    }

    @Test func connectingToNothingSaysWhy() async throws {
        let missing = TestServer.socketPath()
        await #expect(throws: VarlinkClientError.connect(path: missing, reason: "No such file or directory")) {
            try await VarlinkClient.connect(unixPath: missing)
        }
        // A socket file nobody listens on.
        let stale = TestServer.socketPath()
        close(try bindUnixSocket(stale, listening: false))
        defer { unlink(stale) }
        await #expect(throws: VarlinkClientError.connect(path: stale, reason: "Connection refused")) {
            try await VarlinkClient.connect(unixPath: stale)
        }
    }

    @Test func callsOnAClosedClientFail() async throws {
        try await TestServer.with { path in
            let client = try await VarlinkClient.connect(unixPath: path)
            await client.close()
            await #expect(throws: VarlinkClientError.closed) {
                try await client.call("org.varlink.service.GetInfo", parameters: nil)
            }
        }
    }

    @Test func pendingCallsFailWhenTheServerGoesAway() async throws {
        let path = TestServer.socketPath()
        var configuration = TestServer.configuration
        configuration.shutdownGracePeriod = .milliseconds(50)
        let server = VarlinkServer(
            listen: .path(path),
            configuration: configuration,
            interfaces: [TestInterface()],
            logger: TestServer.logger
        )
        let (listening, listeningContinuation) = AsyncStream<Void>.makeStream()
        let serving = Task { try await server.run(onListening: { listeningContinuation.yield() }) }
        var iterator = listening.makeAsyncIterator()
        _ = await iterator.next()
        let client = try await VarlinkClient.connect(unixPath: path)
        let pending = Task {
            try await client.call("org.example.test.Sleep", parameters: ["milliseconds": 60000, "tag": "x"])
        }
        try await Task.sleep(for: .milliseconds(50))
        serving.cancel()
        await #expect(throws: VarlinkClientError.closed) { try await pending.value }
        try await serving.value
    }
}

/// Creates a Unix socket bound at `path`, listening or not; returns its fd.
func bindUnixSocket(_ path: String, listening: Bool) throws -> Int32 {
    let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw RawSocket.Failure(description: "socket") }
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
    let bound = withUnsafePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
        }
    }
    guard bound == 0 else { throw RawSocket.Failure(description: "bind: \(errno)") }
    if listening {
        guard listen(fd, 16) == 0 else { throw RawSocket.Failure(description: "listen: \(errno)") }
    }
    return fd
}
