import ArgumentParser
import Varlink

/// `casetrackctl status`: GetStatus.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Show the daemon's version, uptime and totals.")

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        try await global.withDaemon { daemon in
            let reply = try await daemon.call("GetStatus")
            global.print(reply) {
                var fields = Fields()
                fields.append("version", reply["version"]?.stringValue ?? "?")
                fields.append("started", reply["startedAt"]?.stringValue.map(Formatting.time) ?? "?")
                fields.append("store", reply["store"]?.stringValue ?? "?")
                if reply["writable"]?.boolValue == false {
                    let since = reply["storeErrorSince"]?.stringValue.map(Formatting.time) ?? "?"
                    let why = reply["storeError"]?.stringValue ?? "unknown error"
                    fields.append("writes", "REFUSED since \(since): \(why); reads are served")
                }
                for (label, key) in [
                    ("cohorts", "cohorts"), ("cases", "cases"), ("events", "events"), ("last seq", "lastSeq"),
                ] {
                    fields.append(label, reply[key]?.intValue.map { Formatting.count(Int($0)) } ?? "?")
                }
                fields.append("socket", daemon.socketPath)
                Printer.out(fields.render())
            }
        }
    }
}
