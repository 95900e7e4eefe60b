import CaseTrackCore
import CaseTrackStore
import Foundation
public import Logging
import ServiceLifecycle
import Systemd
import UnixSignals
import Varlink

/// How casetrackd was asked to run: the configuration file and the flags
/// that override it, so a test or a second instance needs no edited file.
public struct DaemonOptions: Sendable {
    public var configurationFile: String?
    public var socketPath: String?
    public var stateDirectory: String?
    public var pipelinesDirectory: String?
    public var logDestination: DaemonConfiguration.LogDestinationSetting?
    public var logLevel: Logger.Level?
    /// Whether Swift concurrency's jobs run on the event loops (casetrackd's
    /// main sets this up before anything else runs); logged at start.
    public var tasksOnEventLoops = false

    public init() {}

    /// The configuration file with these overrides applied.
    public func configuration() throws(ConfigurationError) -> DaemonConfiguration {
        var configuration =
            try configurationFile.map { path throws(ConfigurationError) in try DaemonConfiguration.load(path: path) }
            ?? DaemonConfiguration()
        if let socketPath { configuration.socket.path = socketPath }
        if let stateDirectory { configuration.stateDirectory = stateDirectory }
        if let pipelinesDirectory { configuration.pipelinesDirectory = pipelinesDirectory }
        if let logDestination { configuration.logDestination = logDestination }
        if let logLevel { configuration.logLevel = logLevel }
        return configuration
    }
}

/// casetrackd's life: start-up, serving, reload, and graceful shutdown.
public enum Daemon {
    /// Runs until SIGTERM or SIGINT, then drains and returns.
    public static func run(options: DaemonOptions) async throws {
        umask(0o077)
        let configuration = try options.configuration()
        let destination: LogDestination =
            switch configuration.logDestination {
            case .automatic: .automatic
            case .journal: .journal
            case .stderr: .stderr
            }
        destination.bootstrap(identifier: "casetrackd", logLevel: configuration.logLevel)
        var logger = Logger(label: "casetrackd")
        logger.logLevel = configuration.logLevel
        let notifier = ServiceNotifier()

        logger.notice(
            "casetrackd \(Tracker.version) starting",
            metadata: [
                "MESSAGE_ID": "\(MessageID.startup.rawValue)", "CONFIG": "\(configuration.source ?? "(defaults)")",
                "STATE_DIRECTORY": "\(configuration.stateDirectory)",
            ])
        logger.debug(
            options.tasksOnEventLoops
                ? "Swift concurrency runs on the event loops"
                : "Swift concurrency runs on its own thread pool (taking over the event loops was not possible)")
        _ = notifier.status("Opening the store")
        let pipelines = try PipelineCatalog.load(directory: configuration.pipelinesDirectory)
        let store: SQLiteStore
        do {
            store = try await SQLiteStore.open(path: configuration.storePath, pipelines: pipelines)
        } catch {
            logger.critical(
                "Cannot open the store at \(configuration.storePath): \(error)",
                metadata: ["MESSAGE_ID": "\(MessageID.storeError.rawValue)"])
            throw error
        }
        let tracker = Tracker(store: store, configuration: configuration, pipelines: pipelines, logger: logger)
        let reloader = Reloader(options: options, tracker: tracker, notifier: notifier, logger: logger)
        // The SIGHUP handler is in place before READY=1, as notify-reload requires.
        let hangups = await UnixSignalsSequence(trapping: .sighup)

        let listen: VarlinkServer.Listen
        if let fd = ListenFDs.take(named: "varlink") {
            listen = .adopted(fd: fd)
            logger.info("Using the socket passed by the service manager (fd \(fd))")
        } else {
            listen = .path(
                configuration.socket.path, mode: mode_t(configuration.socket.mode),
                group: try groupID(configuration.socket.group))
        }
        let limits = configuration.limits
        var serverConfiguration = VarlinkServer.Configuration(
            vendor: "casetrack", product: "casetrackd", version: Tracker.version, url: "https://casetrack.invalid/")
        serverConfiguration.maxMessageBytes = limits.maxMessageBytes
        serverConfiguration.maxConnections = limits.maxConnections
        serverConfiguration.maxNestingDepth = limits.maxNestingDepth
        serverConfiguration.maxStringBytes = limits.maxStringBytes
        serverConfiguration.maxConnectionsPerUser = limits.maxConnectionsPerUser
        serverConfiguration.maxInFlightPerConnection = limits.maxInFlightPerConnection
        serverConfiguration.idleTimeout = .seconds(limits.idleTimeoutSeconds)
        serverConfiguration.messageTimeout = .seconds(limits.messageTimeoutSeconds)
        let server = VarlinkServer(
            listen: listen,
            configuration: serverConfiguration,
            interfaces: [TrackerInterface(tracker: tracker, reload: { try await reloader.reload() })],
            logger: logger)

        let services = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                // Shut down in reverse order: the listener first (it stops accepting and
                // drains), then the supervisor, then the SIGHUP handler.
                services: [
                    .init(service: HangupService(hangups: hangups, reloader: reloader)),
                    .init(service: DigestScheduler(tracker: tracker, logger: logger)),
                    .init(service: RetentionService(tracker: tracker, logger: logger)),
                    .init(service: SupervisorService(tracker: tracker, notifier: notifier, logger: logger)),
                    .init(
                        service: ListenerService(
                            server: server, tracker: tracker, notifier: notifier, logger: logger,
                            socketDescription: listen.description)),
                ],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: Logger(label: "casetrackd.lifecycle", factory: { _ in SwiftLogNoOpLogHandler() })))
        do {
            try await services.run()
        } catch {
            logger.error("Stopping after a failure: \(error)")
            await store.close()
            throw error
        }
        await store.close()
        logger.notice("casetrackd stopped", metadata: ["MESSAGE_ID": "\(MessageID.shutdown.rawValue)"])
    }

    static func groupID(_ group: String?) throws -> gid_t? {
        guard let group else { return nil }
        if let id = gid_t(group) { return id }
        guard let entry = getgrnam(group) else {
            throw ConfigurationError(file: "socket.group", problem: "no group named '\(group)'")
        }
        return entry.pointee.gr_gid
    }
}

extension VarlinkServer.Listen {
    var description: String {
        switch self {
        case .path(let path, _, _): path
        case .adopted(let fd): "fd \(fd) from the service manager"
        }
    }
}

/// Serves the Varlink socket; on graceful shutdown stops accepting, lets
/// calls in flight finish, and returns.
struct ListenerService: Service {
    let server: VarlinkServer
    let tracker: Tracker
    let notifier: ServiceNotifier
    let logger: Logger
    let socketDescription: String

    func run() async throws {
        let notifier = self.notifier
        let logger = self.logger
        let tracker = self.tracker
        let socket = socketDescription
        try await withGracefulShutdownHandler {
            // Graceful shutdown cancels the server's task; it then drains and
            // returns, and the cancellation is the request, not a failure.
            try await ignoringCancellation {
                try await server.run(onListening: {
                    _ = notifier.ready()
                    _ = notifier.status(await SupervisorService.statusLine(tracker))
                    logger.notice(
                        "casetrackd ready on \(socket)",
                        metadata: ["MESSAGE_ID": "\(MessageID.ready.rawValue)", "SOCKET": "\(socket)"])
                })
            }
        } onGracefulShutdown: {
            _ = notifier.stopping()
            _ = notifier.status("Stopping: finishing calls in flight")
            logger.notice("casetrackd stopping: finishing calls in flight")
        }
    }
}

/// Runs `body` until graceful shutdown cancels it; a CancellationError from
/// that is a normal end.
func ignoringCancellation(_ body: @escaping @Sendable () async throws -> Void) async throws {
    do {
        try await cancelWhenGracefulShutdown { try await body() }
    } catch is CancellationError {
        return
    }
}

/// Keeps `systemctl status` current and pings the watchdog while the store's
/// writer answers.
struct SupervisorService: Service {
    let tracker: Tracker
    let notifier: ServiceNotifier
    let logger: Logger

    func run() async throws {
        let watchdog = notifier.watchdogInterval
        let period = min(watchdog.map { $0 / 2 } ?? .seconds(5), .seconds(5))
        let tracker = self.tracker
        let notifier = self.notifier
        let logger = self.logger
        try? await cancelWhenGracefulShutdown {
            var lastStatus = ContinuousClock.now
            var lastSeq = tracker.store.lastSeq
            var wasWritable = true
            while !Task.isCancelled {
                try await Task.sleep(for: period)
                let condition = tracker.store.condition
                if condition.isWritable != wasWritable {
                    wasWritable = condition.isWritable
                    if let failure = condition.failure {
                        logger.error(
                            "The store cannot write, changes are refused until it can: \(failure)",
                            metadata: ["MESSAGE_ID": "\(MessageID.storeError.rawValue)"])
                    } else {
                        logger.notice("The store writes again")
                    }
                    // Say so in `systemctl status` at once.
                    lastStatus = .now - .seconds(5)
                }
                if watchdog != nil {
                    // A wedged writer never answers, and then no ping goes out.
                    do {
                        try await tracker.store.ping()
                        _ = notifier.watchdog()
                    } catch {
                        logger.error(
                            "The store's writer is not answering; withholding the watchdog ping: \(error)",
                            metadata: ["MESSAGE_ID": "\(MessageID.storeError.rawValue)"])
                    }
                }
                let now = ContinuousClock.now
                if now - lastStatus >= .seconds(5) {
                    let seq = tracker.store.lastSeq
                    let seconds = Double((now - lastStatus).components.seconds)
                    let rate = seconds > 0 ? Double(seq - lastSeq) / seconds : 0
                    _ = notifier.status(await Self.statusLine(tracker, eventsPerSecond: rate))
                    lastStatus = now
                    lastSeq = seq
                }
            }
        }
    }

    static func statusLine(_ tracker: Tracker, eventsPerSecond: Double = 0) async -> String {
        let condition = tracker.store.condition
        let unwritable = condition.failure.map { failure in
            "STORE CANNOT WRITE since \(condition.since?.description ?? "now") (\(failure)), refusing changes; "
        }
        let totals = tracker.store.totals()
        let lastDigest = (try? await tracker.store.lastDigest()).flatMap { $0 }.map { "last digest \($0.time)" }
        return (unwritable ?? "") + "Serving \(totals.cohorts) cohorts, \(totals.cases) cases, \(totals.events) events; "
            + "\(Int(eventsPerSecond.rounded())) events/s; " + (lastDigest ?? "no digest yet")
    }
}

/// Reloads on SIGHUP.
struct HangupService: Service {
    let hangups: UnixSignalsSequence
    let reloader: Reloader

    func run() async throws {
        for await _ in hangups.cancelOnGracefulShutdown() {
            try? await reloader.reload()
        }
    }
}

/// Re-reads the configuration file and the pipelines and puts them in
/// force, or keeps the old ones and says why.
struct Reloader: Sendable {
    let options: DaemonOptions
    let tracker: Tracker
    let notifier: ServiceNotifier
    let logger: Logger

    func reload() async throws {
        _ = notifier.reloading()
        do {
            let configuration = try options.configuration()
            let pipelines = try PipelineCatalog.load(directory: configuration.pipelinesDirectory)
            let previous = tracker.configuration
            try await tracker.apply(configuration: configuration, pipelines: pipelines)
            if configuration.socket != previous.socket || configuration.stateDirectory != previous.stateDirectory {
                logger.warning("The socket and state directory settings take effect only at restart")
            }
            logger.notice(
                "Configuration reloaded: \(pipelines.count) pipelines",
                metadata: [
                    "MESSAGE_ID": "\(MessageID.reload.rawValue)",
                    "PIPELINES": "\(pipelines.keys.sorted().joined(separator: ","))",
                ])
            _ = notifier.ready()
            _ = notifier.status(await SupervisorService.statusLine(tracker))
        } catch {
            logger.error(
                "Reload failed, the previous configuration stays in force: \(error)",
                metadata: ["MESSAGE_ID": "\(MessageID.reloadFailed.rawValue)"])
            _ = notifier.ready()
            _ = notifier.status("Reload failed, previous configuration in force: \(error)")
            throw error
        }
    }
}
