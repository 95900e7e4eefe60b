import ArgumentParser
import Varlink

/// `casetrackctl history`: History.
struct HistoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history", abstract: "Show the event log, oldest first.")

    @OptionGroup var global: GlobalOptions

    @Option(help: "Only this cohort's events.")
    var cohort: String?

    @Option(help: "Only events after this sequence number.")
    var after: Int?

    @Option(help: "At most this many events (the daemon caps it).")
    var limit: Int?

    func validate() throws {
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
        if let after, after < 0 { throw ValidationError("--after must not be negative") }
    }

    func run() async throws {
        try await global.withDaemon { daemon in
            let (reply, events) = try await daemon.call(
                "History",
                ["cohort": .optional(cohort), "afterSeq": .optional(after), "limit": .optional(limit)],
                member: "events", as: [Event].self)
            global.print(reply) {
                Printer.out(events.isEmpty ? "no events" : Table.events(events, showCohort: cohort == nil).render())
            }
        }
    }
}

/// `casetrackctl watch`: Watch with more, one line per event.
struct WatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Stream events as they are committed, one line each, until interrupted.",
        discussion: """
            With --after, first replays the events after that sequence number. When casetrackd \
            restarts, watch connects again and carries on after the last event it printed.
            """)

    @OptionGroup var global: GlobalOptions

    @Option(help: "Only this cohort's events.")
    var cohort: String?

    @Option(help: "First replay the events after this sequence number.")
    var after: Int?

    func validate() throws {
        if let after, after < 0 { throw ValidationError("--after must not be negative") }
    }

    func run() async throws {
        let method = Daemon.interface + ".Watch"
        var lastSeq = try await global.withDaemon { daemon in
            // Starting from the current last seq makes every later resume exact.
            if let after { return Int64(after) }
            return try await daemon.call("GetStatus")["lastSeq"]?.intValue ?? 0
        }
        while true {
            let resumeAfter = lastSeq
            // The stream ends when casetrackd stops (its last reply carries no event) or the
            // connection breaks; either way watch waits for it to come back.
            try await global.withDaemon { daemon in
                let parameters: [String: JSONValue?] = ["cohort": .optional(cohort), "afterSeq": .int(resumeAfter)]
                do {
                    for try await reply in daemon.client.callMore(
                        method, parameters: .object(parameters.compactMapValues { $0 }))
                    {
                        guard let seq = reply["event"]?["seq"]?.intValue else { continue }
                        lastSeq = max(lastSeq, seq)
                        if global.json {
                            Printer.jsonLine(reply)
                        } else {
                            Printer.out(try reply.member("event", as: Event.self, of: method).line)
                        }
                    }
                } catch VarlinkClientError.closed {
                    // casetrackd went away mid-stream.
                }
            }
            Printer.err("casetrackctl: the connection to casetrackd closed; reconnecting after #\(lastSeq)…")
            try await reconnectPause()
        }
    }

    /// Waits until the socket accepts connections again (casetrackd restarting).
    private func reconnectPause() async throws {
        let path = global.socketPath.path
        for attempt in 0... {
            try await Task.sleep(for: .milliseconds(min(250 << min(attempt, 4), 5000)))
            if let client = try? await VarlinkClient.connect(unixPath: path) {
                await client.close()
                return
            }
        }
    }
}
