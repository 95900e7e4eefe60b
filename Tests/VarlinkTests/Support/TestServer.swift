import Foundation
import Logging
import Varlink

/// Runs a `VarlinkServer` serving `TestInterface` on a fresh socket for the
/// length of `body`, then cancels it and waits for it to stop.
enum TestServer {
    static let configuration = VarlinkServer.Configuration(
        vendor: "casetrack",
        product: "varlink-tests",
        version: "1.0",
        url: "https://example.org/casetrack"
    )

    /// The test configuration, changed by `change`.
    static func configuration(_ change: (inout VarlinkServer.Configuration) -> Void) -> VarlinkServer.Configuration {
        var configuration = Self.configuration
        change(&configuration)
        return configuration
    }

    /// A socket path short enough for `sockaddr_un`, unique per call.
    static func socketPath() -> String {
        let directory = FileManager.default.temporaryDirectory.path
        return "\(directory)/vl-\(UUID().uuidString.prefix(8)).sock"
    }

    /// Quiet unless VARLINK_TEST_LOG names a level (e.g. `trace`).
    static var logger: Logger {
        var logger = Logger(label: "varlink-tests") { StreamLogHandler.standardError(label: $0) }
        let level = ProcessInfo.processInfo.environment["VARLINK_TEST_LOG"].flatMap(Logger.Level.init(rawValue:))
        logger.logLevel = level ?? .critical
        return logger
    }

    static func with<T: Sendable>(
        interface: TestInterface = TestInterface(),
        listen: VarlinkServer.Listen? = nil,
        configuration: VarlinkServer.Configuration = Self.configuration,
        _ body: @Sendable (_ path: String) async throws -> T
    ) async throws -> T {
        let path = socketPath()
        let server = VarlinkServer(
            listen: listen ?? .path(path),
            configuration: configuration,
            interfaces: [interface],
            logger: logger
        )
        let (listening, listeningContinuation) = AsyncStream<Void>.makeStream()
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                try await server.run(onListening: { listeningContinuation.yield() })
                listeningContinuation.finish()
                return nil
            }
            var iterator = listening.makeAsyncIterator()
            guard await iterator.next() != nil else {
                // The server stopped before listening: surface its error.
                _ = try await group.next()
                throw VarlinkClientError.closed
            }
            do {
                let result = try await body(path)
                group.cancelAll()
                while try await group.next() != nil {}
                return result
            } catch {
                group.cancelAll()
                throw error
            }
        }
    }
}
