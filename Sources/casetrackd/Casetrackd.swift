import ArgumentParser
import CaseTrackDaemon
import Foundation
import Logging

/// The command; `main.swift` runs it.
struct Casetrackd: AsyncParsableCommand {
    /// Set once by `main.swift` before the command runs.
    nonisolated(unsafe) static var tasksOnEventLoops = false

    static let configuration = CommandConfiguration(
        commandName: "casetrackd",
        abstract: "Track refugee and visa case pipelines, serving io.casetrack.Tracker over Varlink.",
        discussion: """
            casetrackd keeps cohorts, cases and every status transition in a SQLite store in its state \
            directory, and answers casetrackctl (or any Varlink client) on a Unix socket. It runs as a \
            systemd service (Type=notify, socket activation with the name "varlink", reload on SIGHUP) \
            or in the foreground.

            Signals: SIGTERM and SIGINT stop it gracefully (calls in flight finish); SIGHUP reloads the \
            configuration file and the pipeline definitions, keeping the old ones if the new ones are bad.
            """,
        version: Tracker.version)

    @Option(name: .long, help: ArgumentHelp("The configuration file.", valueName: "file"))
    var config: String?

    @Option(name: .long, help: ArgumentHelp("Listen on this socket path (overrides socket.path).", valueName: "path"))
    var socket: String?

    @Option(
        name: .customLong("state-dir"),
        help: ArgumentHelp("Keep the store in this directory (overrides stateDirectory).", valueName: "dir"))
    var stateDirectory: String?

    @Option(
        name: .customLong("pipelines-dir"),
        help: ArgumentHelp("Read pipeline definitions from this directory (overrides pipelinesDirectory).", valueName: "dir"))
    var pipelinesDirectory: String?

    @Option(name: .customLong("log-target"), help: "Where logs go: automatic, journal or stderr.")
    var logTarget: String?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String?

    mutating func validate() throws {
        if let logTarget, DaemonConfiguration.LogDestinationSetting(rawValue: logTarget) == nil {
            throw ValidationError("--log-target must be automatic, journal or stderr")
        }
        if let logLevel, Logger.Level(rawValue: logLevel) == nil {
            throw ValidationError("--log-level must be trace, debug, info, notice, warning, error or critical")
        }
    }

    func run() async throws {
        var options = DaemonOptions()
        options.configurationFile = config
        options.socketPath = socket
        options.stateDirectory = stateDirectory
        options.pipelinesDirectory = pipelinesDirectory
        options.logDestination = logTarget.flatMap(DaemonConfiguration.LogDestinationSetting.init(rawValue:))
        options.logLevel = logLevel.flatMap(Logger.Level.init(rawValue:))
        options.tasksOnEventLoops = Self.tasksOnEventLoops
        do {
            try await Daemon.run(options: options)
        } catch let error as ConfigurationError {
            FileHandle.standardError.write(Data("casetrackd: \(error)\n".utf8))
            throw ExitCode(78)  // EX_CONFIG
        } catch {
            FileHandle.standardError.write(Data("casetrackd: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }
}
