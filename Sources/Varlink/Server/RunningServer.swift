import Foundation
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// One run of a `VarlinkServer`: the listening socket, the open
/// connections, and the way from serving to stopped.
final class RunningServer: Sendable {
    private enum State {
        /// Setting up the socket; `shutdownRequested` if cancelled meanwhile.
        case starting(shutdownRequested: Bool)
        /// Accepting connections.
        case running(listener: any Channel, connections: [ObjectIdentifier: Connection])
        /// No longer accepting; waiting for the connections to close.
        case shuttingDown(connections: [ObjectIdentifier: Connection], allClosed: CheckedContinuation<Void, Never>?)
        case stopped
    }

    /// A connection accepted and set up, ready to be served.
    private struct Accepted: Sendable {
        var asyncChannel: NIOAsyncChannel<Connection.Inbound, Never>
        var connection: Connection
    }

    private let listen: VarlinkServer.Listen
    private let configuration: VarlinkServer.Configuration
    private let interfaces: InterfaceTable
    private let logger: Logger
    private let state = Mutex(State.starting(shutdownRequested: false))
    /// Connections accepted by the socket but not yet handed to the accept
    /// loop; closed by `shutdown`, which the loop may no longer reach them for.
    private let unclaimed = Mutex(UnclaimedConnections())

    private struct UnclaimedConnections {
        var isClosed = false
        var channels: [ObjectIdentifier: any Channel] = [:]
    }

    init(
        listen: VarlinkServer.Listen,
        configuration: VarlinkServer.Configuration,
        interfaces: InterfaceTable,
        logger: Logger
    ) {
        self.listen = listen
        self.configuration = configuration
        self.interfaces = interfaces
        self.logger = logger
    }

    func serve(onListening: @Sendable () async -> Void) async throws {
        let (listener, socketFile) = try await bind()
        let identity = socketFile?.identity
        defer { socketFile?.remove(ifStill: identity) }
        if let socketFile, case .path(_, let mode, let group) = listen {
            do {
                try socketFile.setAccess(mode: mode, group: group)
            } catch {
                try? await listener.channel.close()
                throw error
            }
        }
        guard startRunning(listener.channel) else {
            try? await listener.channel.close()
            return
        }
        logger.info("Varlink server listening", metadata: ["socket": "\(listenDescription)"])
        await onListening()

        try await listener.executeThenClose { inbound in
            await withDiscardingTaskGroup { group in
                do {
                    for try await accepted in inbound {
                        guard admit(accepted.connection) else {
                            accepted.asyncChannel.channel.close(promise: nil)
                            continue
                        }
                        group.addTask {
                            await accepted.connection.serve(accepted.asyncChannel)
                            self.remove(accepted.connection)
                        }
                    }
                } catch {
                    logger.error("Varlink server stopped accepting connections", metadata: ["error": "\(error)"])
                }
                shutdown()
                await waitForConnectionsToClose(upTo: configuration.shutdownGracePeriod)
                group.cancelAll()
            }
        }
        state.withLock { $0 = .stopped }
        logger.info("Varlink server stopped", metadata: ["socket": "\(listenDescription)"])
    }

    /// Stops accepting connections and asks each open one to finish.
    func shutdown() {
        let (listener, connections) = state.withLock { state -> ((any Channel)?, [Connection]) in
            switch state {
            case .starting:
                state = .starting(shutdownRequested: true)
                return (nil, [])
            case .running(let listener, let connections):
                state = .shuttingDown(connections: connections, allClosed: nil)
                return (listener, Array(connections.values))
            case .shuttingDown, .stopped:
                return (nil, [])
            }
        }
        listener?.close(promise: nil)
        for connection in connections {
            connection.shutdown()
        }
        let stragglers = unclaimed.withLock { unclaimed in
            unclaimed.isClosed = true
            defer { unclaimed.channels = [:] }
            return Array(unclaimed.channels.values)
        }
        for channel in stragglers {
            channel.close(promise: nil)
        }
    }

    // MARK: Listening

    private var listenDescription: String {
        switch listen {
        case .path(let path, _, _): return path
        case .adopted(let fd): return "fd \(fd)"
        }
    }

    private func bind() async throws -> (NIOAsyncChannel<Accepted, Never>, UnixSocketFile?) {
        let bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 256)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
        let initializer: @Sendable (any Channel) -> EventLoopFuture<Accepted> = { [self] channel in
            setUp(channel)
        }
        switch listen {
        case .path(let path, _, _):
            let file = UnixSocketFile(path: path)
            try file.removeStale()
            do {
                let listener = try await bootstrap.bind(
                    unixDomainSocketPath: path,
                    childChannelInitializer: initializer
                )
                return (listener, file)
            } catch {
                throw VarlinkServerError.listen(path: path, reason: Self.describe(error))
            }
        case .adopted(let fd):
            do {
                let listener = try await bootstrap.bind(fd, childChannelInitializer: initializer)
                return (listener, nil)
            } catch {
                throw VarlinkServerError.adopt(fd: fd, reason: Self.describe(error))
            }
        }
    }

    /// Builds an accepted connection's pipeline; runs on its event loop.
    private func setUp(_ channel: any Channel) -> EventLoopFuture<Accepted> {
        let registered = unclaimed.withLock { unclaimed -> Bool in
            guard !unclaimed.isClosed else { return false }
            unclaimed.channels[ObjectIdentifier(channel)] = channel
            return true
        }
        guard registered else {
            channel.close(promise: nil)
            return channel.eventLoop.makeFailedFuture(ChannelError.ioOnClosedChannel)
        }
        return VarlinkPeer.credentials(of: channel).flatMapThrowing { [self] peer in
            let connection = Connection(
                channel: channel,
                peer: peer,
                interfaces: interfaces,
                configuration: configuration,
                logger: logger
            )
            let pipeline = channel.pipeline.syncOperations
            if let idleTimeout = configuration.idleTimeout {
                try pipeline.addHandler(IdleStateHandler(readTimeout: TimeAmount(idleTimeout)))
                try pipeline.addHandler(IdleConnectionCloser(replies: connection.replies))
            }
            if let messageTimeout = configuration.messageTimeout {
                try pipeline.addHandler(MessageTimeoutHandler(timeout: TimeAmount(messageTimeout), logger: logger))
            }
            try pipeline.addHandler(
                ByteToMessageHandler(MessageFrameDecoder(maxMessageBytes: configuration.maxMessageBytes))
            )
            try pipeline.addHandler(CallReader(connection: connection))
            let asyncChannel = try NIOAsyncChannel<Connection.Inbound, Never>(wrappingChannelSynchronously: channel)
            return Accepted(asyncChannel: asyncChannel, connection: connection)
        }.flatMapError { [self] error in
            // A failed initializer does not close the channel by itself.
            _ = unclaimed.withLock { $0.channels.removeValue(forKey: ObjectIdentifier(channel)) }
            channel.close(promise: nil)
            return channel.eventLoop.makeFailedFuture(error)
        }
    }

    static func describe(_ error: any Error) -> String {
        if let error = error as? IOError {
            return UnixSocketFile.describe(error.errnoCode)
        }
        return "\(error)"
    }

    // MARK: Connections

    private func startRunning(_ listener: any Channel) -> Bool {
        state.withLock { state in
            switch state {
            case .starting(shutdownRequested: false):
                state = .running(listener: listener, connections: [:])
                return true
            case .starting(shutdownRequested: true), .running, .shuttingDown, .stopped:
                state = .stopped
                return false
            }
        }
    }

    private func admit(_ connection: Connection) -> Bool {
        _ = unclaimed.withLock { $0.channels.removeValue(forKey: ObjectIdentifier(connection.channel)) }
        enum Refusal { case total, user }
        let refusal = state.withLock { state -> Refusal? in
            switch state {
            case .running(let listener, var connections):
                guard connections.count < configuration.maxConnections else { return .total }
                let uid = connection.peer.uid
                guard connections.values.lazy.filter({ $0.peer.uid == uid }).count < configuration.maxConnectionsPerUser
                else { return .user }
                connections[ObjectIdentifier(connection)] = connection
                state = .running(listener: listener, connections: connections)
                return nil
            case .starting, .shuttingDown, .stopped:
                return .total
            }
        }
        switch refusal {
        case nil:
            return true
        case .total:
            logger.warning(
                "Refusing Varlink connection: too many open",
                metadata: ["varlink.peer.uid": "\(connection.peer.uid)", "limit": "\(configuration.maxConnections)"]
            )
        case .user:
            logger.warning(
                "Refusing Varlink connection: this user has too many open",
                metadata: [
                    "varlink.peer.uid": "\(connection.peer.uid)", "limit": "\(configuration.maxConnectionsPerUser)",
                ])
        }
        return false
    }

    private func remove(_ connection: Connection) {
        let allClosed = state.withLock { state -> CheckedContinuation<Void, Never>? in
            switch state {
            case .running(let listener, var connections):
                connections[ObjectIdentifier(connection)] = nil
                state = .running(listener: listener, connections: connections)
                return nil
            case .shuttingDown(var connections, let allClosed):
                connections[ObjectIdentifier(connection)] = nil
                guard connections.isEmpty else {
                    state = .shuttingDown(connections: connections, allClosed: allClosed)
                    return nil
                }
                state = .shuttingDown(connections: connections, allClosed: nil)
                return allClosed
            case .starting, .stopped:
                return nil
            }
        }
        allClosed?.resume()
    }

    private func waitForConnectionsToClose(upTo gracePeriod: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.allConnectionsClosed() }
            group.addTask { try? await Task.sleep(for: gracePeriod) }
            await group.next()
            group.cancelAll()
        }
    }

    private func allConnectionsClosed() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    guard case .shuttingDown(let connections, _) = state, !connections.isEmpty, !Task.isCancelled
                    else { return true }
                    state = .shuttingDown(connections: connections, allClosed: continuation)
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            state.withLock { state -> CheckedContinuation<Void, Never>? in
                guard case .shuttingDown(let connections, let allClosed) = state else { return nil }
                state = .shuttingDown(connections: connections, allClosed: nil)
                return allClosed
            }?.resume()
        }
    }
}
