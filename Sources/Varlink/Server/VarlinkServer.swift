public import Logging

/// A Varlink service on a Unix stream socket.
///
/// The server reads calls, dispatches each to the `VarlinkInterface` whose
/// name prefixes the method, answers `org.varlink.service` itself, and
/// writes each connection's replies in call order.
public struct VarlinkServer: Sendable {
    /// Who the service is, and the limits that protect it from its clients.
    public struct Configuration: Sendable {
        /// Returned by `org.varlink.service.GetInfo`.
        public var vendor: String
        public var product: String
        public var version: String
        public var url: String

        /// The longest message (JSON text, without its NUL) a client may send;
        /// a longer one closes its connection.
        public var maxMessageBytes: Int = 1 << 20
        /// Connections open at once; one more is closed as soon as accepted.
        public var maxConnections: Int = 1024
        /// Arrays and objects a message may nest; a deeper message closes its
        /// connection before it is decoded.
        public var maxNestingDepth: Int = 32
        /// Bytes a string in a message (key or value, as sent) may have; a call
        /// with a longer one is answered `InvalidParameter` naming its
        /// parameter, and never decoded further.
        public var maxStringBytes: Int = 4096
        /// Connections one user (peer uid) may have open at once, so one user
        /// cannot take every connection; one more is closed as soon as accepted.
        public var maxConnectionsPerUser: Int = 512
        /// Calls one connection may have in flight (being handled or waiting
        /// to have their replies written); reading pauses at the limit. With
        /// 1, a connection's calls are handled one after another.
        public var maxInFlightPerConnection: Int = 64
        /// Bytes of replies a connection may have waiting for its client to
        /// read them; beyond this the server stops reading the connection's
        /// calls until the client catches up, so a client that never reads
        /// costs bounded memory.
        public var maxUnsentReplyBytesPerConnection: Int = 1 << 20
        /// A connection that sends nothing for this long, with no call in
        /// flight, is closed. Nil: never.
        public var idleTimeout: Duration? = .seconds(600)
        /// A message must arrive whole within this time of its first byte
        /// (time the server spends not reading, held back by the client's
        /// unread replies, does not count); else the connection is closed.
        /// Nil: no limit.
        public var messageTimeout: Duration? = .seconds(30)
        /// On shutdown, how long running calls may take to finish before they
        /// are cancelled and their connections closed.
        public var shutdownGracePeriod: Duration = .seconds(10)
        /// The error answering a call whose handler threw something other than
        /// a `VarlinkError`.
        public var internalErrorName: String = "org.varlink.service.InternalError"

        public init(vendor: String, product: String, version: String, url: String) {
            self.vendor = vendor
            self.product = product
            self.version = version
            self.url = url
        }
    }

    /// Where the server accepts connections.
    public enum Listen: Sendable {
        /// Binds a socket at `path`: a stale socket file (no server behind it)
        /// is replaced; the file gets `mode` and, when given, `group`; it is
        /// removed when the server stops.
        case path(String, mode: UInt32 = 0o660, group: UInt32? = nil)
        /// Serves on a socket that is already bound and listening, e.g. one
        /// passed by systemd socket activation.
        case adopted(fd: Int32)
    }

    public let listen: Listen
    public let configuration: Configuration
    public let interfaces: [any VarlinkInterface]
    public let logger: Logger

    public init(
        listen: Listen,
        configuration: Configuration,
        interfaces: [any VarlinkInterface],
        logger: Logger
    ) {
        self.listen = listen
        self.configuration = configuration
        self.interfaces = interfaces
        self.logger = logger
    }

    /// Serves until the calling task is cancelled.
    ///
    /// Binds (or adopts) the socket and calls `onListening` once connections
    /// are accepted. When cancelled, stops accepting, lets running calls
    /// finish for up to `shutdownGracePeriod` (streaming `more` calls are
    /// cancelled at once), closes every connection, removes a socket file it
    /// bound, and returns.
    ///
    /// - Throws: `VarlinkServerError` when the socket cannot be set up.
    public func run(onListening: @escaping @Sendable () async -> Void = {}) async throws {
        var names: Set<String> = [VarlinkError.serviceInterface]
        for interface in interfaces where !names.insert(interface.name).inserted {
            throw VarlinkServerError.duplicateInterface(interface.name)
        }
        let service = ServiceInterface(configuration: configuration, interfaces: interfaces)
        let server = RunningServer(
            listen: listen,
            configuration: configuration,
            interfaces: InterfaceTable([service] + interfaces),
            logger: logger
        )
        // Serving runs in a task of its own so that cancelling `run` can
        // drain calls gracefully instead of cancelling them at once.
        let serving = Task {
            try await server.serve(onListening: onListening)
        }
        try await withTaskCancellationHandler {
            try await serving.value
        } onCancel: {
            server.shutdown()
        }
    }
}
