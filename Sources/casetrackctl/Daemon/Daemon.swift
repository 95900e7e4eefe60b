import ArgumentParser
import CaseTrackCore
import Foundation
import Varlink

/// A connection to casetrackd, speaking `io.casetrack.Tracker`.
struct Daemon: Sendable {
    static let interface = "io.casetrack.Tracker"

    let client: VarlinkClient
    let socketPath: String

    static func connect(_ socketPath: String) async throws -> Daemon {
        Daemon(client: try await VarlinkClient.connect(unixPath: socketPath), socketPath: socketPath)
    }

    /// Calls `io.casetrack.Tracker.<method>`; nil parameters are left out.
    func call(_ method: String, _ parameters: [String: JSONValue?] = [:]) async throws -> JSONValue {
        try await client.call(Self.interface + "." + method, parameters: .object(parameters.compactMapValues { $0 }))
    }

    /// Calls `method` and decodes the reply member `key` as `T`.
    func call<T: Decodable>(
        _ method: String, _ parameters: [String: JSONValue?] = [:], member key: String, as type: T.Type
    ) async throws -> (reply: JSONValue, value: T) {
        let reply = try await call(method, parameters)
        return (reply, try reply.member(key, as: T.self, of: Self.interface + "." + method))
    }

    func close() async {
        await client.close()
    }
}

extension JSONValue {
    /// The member `key` decoded as `T`, or a readable error naming the method.
    func member<T: Decodable>(_ key: String, as type: T.Type, of method: String) throws -> T {
        do {
            return try (self[key] ?? .null).decode(as: T.self)
        } catch {
            throw VarlinkClientError.invalidReply(method: method, reason: "member \(key): \(error)")
        }
    }

    /// Builds an optional string parameter.
    static func optional(_ value: String?) -> JSONValue? {
        value.map { .string($0) }
    }

    /// Builds an optional integer parameter.
    static func optional(_ value: Int?) -> JSONValue? {
        value.map { .int(Int64($0)) }
    }

    /// A `[string]string` map parameter, left out when empty.
    static func map(_ values: [String: String]) -> JSONValue? {
        values.isEmpty ? nil : .object(values.mapValues { .string($0) })
    }
}

/// A fresh request id for one mutation, so a retried call is applied once:
/// a time-ordered one (`RequestID`), which the store records cheaply.
func newRequestID() -> JSONValue {
    .string(newRequestIDText())
}

func newRequestIDText() -> String {
    RequestID.make(at: .now())
}

extension GlobalOptions {
    /// Connects, runs `body`, closes; a failure is reported on stderr (and as
    /// JSON with `--json`) and becomes the documented exit code.
    func withDaemon<T>(_ body: (Daemon) async throws -> T) async throws -> T {
        let (path, origin) = socketPath
        let daemon: Daemon
        do {
            daemon = try await Daemon.connect(path)
        } catch {
            throw Failure.report(error, socket: path, origin: origin, json: json)
        }
        do {
            let result = try await body(daemon)
            await daemon.close()
            return result
        } catch {
            await daemon.close()
            throw Failure.report(error, socket: path, origin: origin, json: json)
        }
    }

    /// Prints `reply` as JSON with `--json`, otherwise runs `readable`.
    func print(_ reply: JSONValue, readable: () throws -> Void) rethrows {
        if json {
            Printer.json(reply)
        } else {
            try readable()
        }
    }
}
