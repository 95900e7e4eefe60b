import ArgumentParser
import Foundation

/// The options every command takes: which daemon, and how to print.
struct GlobalOptions: ParsableArguments {
    static let defaultSocket = "/run/casetrack/io.casetrack.Tracker"
    static let socketEnvironment = "CASETRACK_SOCKET"

    @Option(
        name: .long,
        help: ArgumentHelp(
            "The daemon's Varlink socket (default: $\(socketEnvironment), else \(defaultSocket)).",
            valueName: "path"))
    var socket: String?

    @Flag(name: .long, help: "Print the daemon's reply as JSON (pretty, sorted keys) instead of a table.")
    var json = false

    /// The socket to connect to, and where that choice came from.
    var socketPath: (path: String, origin: String) {
        if let socket { return (socket, "--socket") }
        if let fromEnvironment = ProcessInfo.processInfo.environment[Self.socketEnvironment], !fromEnvironment.isEmpty {
            return (fromEnvironment, "$\(Self.socketEnvironment)")
        }
        return (Self.defaultSocket, "the default")
    }
}
