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
        discussion: "With --after, first replays the events after that sequence number.")

    @OptionGroup var global: GlobalOptions

    @Option(help: "Only this cohort's events.")
    var cohort: String?

    @Option(help: "First replay the events after this sequence number.")
    var after: Int?

    func run() async throws {
        try await global.withDaemon { daemon in
            let parameters: [String: JSONValue?] = ["cohort": .optional(cohort), "afterSeq": .optional(after)]
            let method = Daemon.interface + ".Watch"
            let stream = daemon.client.callMore(method, parameters: .object(parameters.compactMapValues { $0 }))
            for try await reply in stream {
                if global.json {
                    Printer.jsonLine(reply)
                } else {
                    Printer.out(try reply.member("event", as: Event.self, of: method).line)
                }
            }
        }
    }
}
