import ArgumentParser
import Foundation
import Varlink

/// `casetrackctl verify`: Verify.
struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check the store's invariants; exits 1 when one does not hold.")

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let ok = try await global.withDaemon { daemon in
            let reply = try await daemon.call("Verify")
            let ok = reply["ok"]?.boolValue ?? false
            global.print(reply) {
                if ok {
                    Printer.out("ok: invariants hold")
                } else {
                    let problems = reply["problems"]?.arrayValue ?? []
                    Printer.out("NOT OK: \(problems.count) problem\(problems.count == 1 ? "" : "s")")
                    for problem in problems {
                        Printer.out("\(problem["check"]?.stringValue ?? "?"): \(problem["message"]?.stringValue ?? "")")
                    }
                }
            }
            return ok
        }
        if !ok { throw ExitStatus.daemonError }
    }
}

/// `casetrackctl backup PATH`: Backup.
struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Write a consistent copy of the store, online (needs the admin role).",
        discussion:
            "PATH is on the daemon's host and is written by the daemon's user; a relative PATH is made absolute from the current directory."
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Where the copy goes.")
    var path: String

    func run() async throws {
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        try await global.withDaemon { daemon in
            let reply = try await daemon.call("Backup", ["path": .string(absolute)])
            global.print(reply) {
                let bytes = reply["bytes"]?.intValue.map { Formatting.count(Int($0)) } ?? "?"
                Printer.out("backed up to \(reply["path"]?.stringValue ?? absolute) (\(bytes) bytes)")
            }
        }
    }
}

/// `casetrackctl reload`: Reload.
struct ReloadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reload",
        abstract: "Make casetrackd re-read its configuration and pipelines (needs the admin role).")

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        try await global.withDaemon { daemon in
            let reply = try await daemon.call("Reload")
            global.print(reply) { Printer.out("reloaded the configuration and the pipeline definitions") }
        }
    }
}

/// `casetrackctl call METHOD [PARAMETERS]`: any Varlink method, raw.
struct CallCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "call",
        abstract: "Call any Varlink method and print its reply parameters as JSON.",
        discussion: """
            Examples:
              casetrackctl call io.casetrack.Tracker.GetStatus
              casetrackctl call io.casetrack.Tracker.DescribeCohort '{"id":"afghans-pk"}'
              casetrackctl call org.varlink.service.GetInfo
              casetrackctl call io.casetrack.Tracker.Watch '{"afterSeq":0}' --more
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The fully qualified method, e.g. io.casetrack.Tracker.GetStatus.")
    var method: String

    @Argument(help: "The parameters as a JSON object (default: {}).")
    var parameters: String = "{}"

    @Flag(help: "Ask for streamed replies; print each on its own line.")
    var more = false

    func validate() throws {
        guard let dot = method.lastIndex(of: "."), dot != method.startIndex, method.index(after: dot) != method.endIndex
        else {
            throw ValidationError("METHOD must be fully qualified, e.g. io.casetrack.Tracker.GetStatus")
        }
        _ = try parsedParameters()
    }

    private func parsedParameters() throws -> JSONValue {
        let value: JSONValue
        do {
            value = try JSONDecoder().decode(JSONValue.self, from: Data(parameters.utf8))
        } catch {
            throw ValidationError("PARAMETERS is not valid JSON: \(parameters)")
        }
        guard case .object = value else {
            throw ValidationError("PARAMETERS must be a JSON object, e.g. {\"id\":\"x\"}")
        }
        return value
    }

    func run() async throws {
        let parameters = try parsedParameters()
        var options = global
        options.json = true
        try await options.withDaemon { daemon in
            if more {
                for try await reply in daemon.client.callMore(method, parameters: parameters) {
                    Printer.jsonLine(reply)
                }
            } else {
                Printer.json(try await daemon.client.call(method, parameters: parameters))
            }
        }
    }
}
