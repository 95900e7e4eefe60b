import ArgumentParser
import Foundation
import Varlink

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// casetrackctl's exit statuses (sysexits.h where one fits).
enum ExitStatus {
    /// The daemon answered with an error.
    static let daemonError = ExitCode(1)
    /// Wrong command line (ArgumentParser's own validation exits 64 too).
    static let usage = ExitCode(64)
    /// The input data (an import file) is bad.
    static let dataError = ExitCode(65)
    /// The daemon could not be reached.
    static let unavailable = ExitCode(69)
}

/// An error casetrackctl found itself, before or without asking the daemon.
struct UsageError: Error, CustomStringConvertible {
    var description: String
    var exitCode = ExitStatus.usage

    init(_ description: String, exitCode: ExitCode = ExitStatus.usage) {
        self.description = description
        self.exitCode = exitCode
    }
}

/// Turns any failure into words on stderr and an exit code.
enum Failure {
    static func report(_ error: any Error, socket: String, origin: String, json: Bool) -> any Error {
        switch error {
        case let exit as ExitCode:
            return exit
        case let exit as CleanExit:
            return exit
        case let usage as UsageError:
            Printer.err("casetrackctl: \(usage.description)")
            return usage.exitCode
        case let remote as VarlinkError:
            return daemonError(remote, json: json)
        case let client as VarlinkClientError:
            switch client {
            case .connect(let path, let reason):
                Printer.err("casetrackctl: \(unreachable(path: path, origin: origin, reason: reason))")
                return ExitStatus.unavailable
            case .remote(let remote):
                return daemonError(remote, json: json)
            case .closed:
                Printer.err(
                    "casetrackctl: casetrackd closed the connection at \(socket) before answering (did it stop or restart? see journalctl -u casetrackd)"
                )
                return ExitStatus.unavailable
            case .protocolViolation, .invalidReply, .invalidCall:
                Printer.err("casetrackctl: \(client.description)")
                return ExitStatus.daemonError
            }
        default:
            Printer.err("casetrackctl: \(error)")
            return ExitStatus.daemonError
        }
    }

    /// `casetrackctl: <sentence>` and `(name {parameters})` on stderr; the
    /// error object on stdout too with `--json`.
    static func daemonError(_ error: VarlinkError, json: Bool) -> ExitCode {
        let parameters = JSONValue.object(error.parameters)
        if json {
            Printer.json(["error": .string(error.name), "parameters": parameters])
        }
        Printer.err("casetrackctl: \(sentence(for: error))")
        Printer.err("(\(error.name) \(Printer.compact(parameters)))")
        return ExitStatus.daemonError
    }

    /// A short readable sentence for a daemon error.
    static func sentence(for error: VarlinkError) -> String {
        let p = error.parameters
        func s(_ key: String) -> String { p[key]?.stringValue ?? "?" }
        func n(_ key: String) -> String { p[key]?.intValue.map { Formatting.count(Int($0)) } ?? "?" }
        let shortName = error.name.split(separator: ".").last.map(String.init) ?? error.name
        let isTracker = error.name.hasPrefix(Daemon.interface + ".")
        switch (isTracker, shortName) {
        case (true, "NoSuchPipeline"):
            return "there is no pipeline named '\(s("name"))' (casetrackctl pipelines lists them)"
        case (true, "NoSuchCohort"):
            return "there is no cohort '\(s("id"))' (casetrackctl cohorts lists them)"
        case (true, "NoSuchCase"):
            return "there is no case '\(s("id"))'"
        case (true, "NoSuchState"):
            return
                "pipeline '\(s("pipeline"))' has no state '\(s("state"))' (casetrackctl pipeline show \(s("pipeline")))"
        case (true, "InvalidTransition"):
            return invalidTransition(p)
        case (true, "InsufficientCount"):
            return
                "cohort '\(s("cohort"))' has only \(n("available")) unregistered persons in '\(s("state"))', \(n("requested")) were asked for"
        case (true, "AlreadyExists"):
            return "a \(s("kind")) '\(s("id"))' already exists"
        case (true, "StateConflict"):
            return
                "case '\(s("caseId"))' is in state '\(s("actual"))', not the expected '\(s("expected"))' (someone else moved it)"
        case (true, "PermissionDenied"):
            return "\(s("actor")) is not allowed to call \(s("method")): it needs the '\(s("required"))' role. "
                + "Roles are granted to users and groups in the access: section of casetrackd.yaml "
                + "(then: systemctl reload casetrackd)"
        case (true, "InvalidArgument"):
            return "invalid \(s("parameter")): \(s("reason"))"
        case (true, "StoreUnavailable"):
            return "casetrackd's store is unavailable: \(s("reason"))"
        case (false, "MethodNotFound"):
            return "casetrackd has no method \(s("method")) (is it an older version?)"
        case (false, "MethodNotImplemented"):
            return "casetrackd does not implement \(s("method"))"
        case (false, "InterfaceNotFound"):
            return "the service does not offer the interface \(s("interface"))"
        case (false, "InvalidParameter"):
            return "the daemon rejected the parameter '\(s("parameter"))' (missing, or of the wrong type)"
        case (false, "ExpectedMore"):
            return "this method streams its replies: call it with --more"
        case (false, "PermissionDenied"):
            return "permission denied by the service"
        default:
            return "the daemon answered with the error \(error.name)"
        }
    }

    private static func invalidTransition(_ p: [String: JSONValue]) -> String {
        let state = p["state"]?.stringValue ?? "?"
        let allowed = p["allowed"]?.arrayValue?.compactMap(\.stringValue) ?? []
        var what: String
        if let event = p["event"]?.stringValue {
            what = "event '\(event)'"
        } else if let to = p["to"]?.stringValue {
            what = "a move to '\(to)'"
        } else {
            what = "this transition"
        }
        var subject = "state '\(state)'"
        if let caseId = p["caseId"]?.stringValue { subject = "case '\(caseId)' in " + subject }
        let choices =
            allowed.isEmpty
            ? "none: '\(state)' is terminal" : allowed.joined(separator: ", ")
        what = "\(subject) does not allow \(what); allowed events: \(choices)"
        return what
    }

    /// Why the socket could not be reached, in words an operator can act on.
    static func unreachable(path: String, origin: String, reason: String) -> String {
        let source = "(socket from \(origin))"
        var info = stat()
        if stat(path, &info) != 0 {
            let code = errno
            if code == EACCES {
                return permissionDenied(path, group: nil)
            }
            return "no socket at \(path) \(source): is casetrackd running? (systemctl status casetrackd.socket)"
        }
        if (info.st_mode & S_IFMT) != S_IFSOCK {
            return
                "\(path) is not a socket \(source); point --socket or $\(GlobalOptions.socketEnvironment) at casetrackd's socket"
        }
        if access(path, R_OK | W_OK) != 0 && errno == EACCES
            || reason.localizedCaseInsensitiveContains("permission denied")
        {
            return permissionDenied(path, group: groupName(info.st_gid))
        }
        if reason.localizedCaseInsensitiveContains("refused") {
            return
                "nothing is listening on \(path) \(source): casetrackd is not running (systemctl status casetrackd.socket casetrackd)"
        }
        return
            "cannot connect to \(path) \(source): \(reason); is casetrackd running? (systemctl status casetrackd.socket)"
    }

    private static func permissionDenied(_ path: String, group: String?) -> String {
        let owner = group.map { "'\($0)'" } ?? "usually 'casetrack'"
        let name = group ?? "casetrack"
        return "permission denied on \(path): you need to be in the group that owns it (\(owner)): "
            + "sudo usermod -aG \(name) $USER, then log in again"
    }

    /// The socket's group, unless it is root's (joining that is never the advice).
    private static func groupName(_ gid: gid_t) -> String? {
        guard gid != 0, let entry = getgrgid(gid), let name = entry.pointee.gr_name else { return nil }
        return String(cString: name)
    }
}
