import CaseFileFormat
import ArgumentParser
import Varlink

/// `casetrackctl case add|show`.
struct CaseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "case", abstract: "Register or show a case.", subcommands: [Add.self, Show.self])

    /// AddCase.
    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add", abstract: "Register a case in a cohort.")

        @OptionGroup var global: GlobalOptions

        @Argument(help: "The case's external id, e.g. an RSC case number: [A-Za-z0-9][A-Za-z0-9._:/-]*.")
        var id: String

        @Option(help: "The cohort it belongs to.")
        var cohort: String

        @Option(help: "Household size, 1 to 1000.")
        var persons: Int

        @Option(help: "Its state (default: the pipeline's first initial state).")
        var state: String?

        @Option(name: .customLong("attr"), help: ArgumentHelp("An attribute (repeatable).", valueName: "key=value"))
        var attributes: [String] = []

        @Flag(help: "Draw its persons from the cohort's unregistered persons in that state.")
        var fromUnregistered = false

        func validate() throws {
            if let problem = RowRules.caseIDProblem(id) { throw ValidationError("case id \(problem)") }
            guard (1...RowRules.maxPersons).contains(persons) else {
                throw ValidationError("--persons must be 1 to \(RowRules.maxPersons)")
            }
            _ = try AttributeOption.parse(attributes)
        }

        func run() async throws {
            let attributes = try AttributeOption.parse(attributes)
            try await global.withDaemon { daemon in
                let (reply, added) = try await daemon.call(
                    "AddCase",
                    [
                        "cohort": .string(cohort), "id": .string(id), "persons": .optional(persons),
                        "state": .optional(state), "attributes": .map(attributes),
                        "fromUnregistered": fromUnregistered ? .bool(true) : nil, "requestId": newRequestID(),
                    ], member: "case", as: Case.self)
                global.print(reply) {
                    Printer.out(
                        "added case \(added.id) (\(Formatting.count(added.persons)) persons) to \(added.cohort) in \(added.state)"
                    )
                }
            }
        }
    }

    /// GetCase: the case and its history.
    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "Show a case and its history.")

        @OptionGroup var global: GlobalOptions

        @Argument(help: "The case's id.")
        var id: String

        func run() async throws {
            try await global.withDaemon { daemon in
                let reply = try await daemon.call("GetCase", ["id": .string(id)])
                let method = Daemon.interface + ".GetCase"
                let found = try reply.member("case", as: Case.self, of: method)
                let history = try reply.member("history", as: [Event].self, of: method)
                global.print(reply) {
                    Printer.out(Self.render(found) + "\n\n" + Table.events(history, showCohort: false).render())
                }
            }
        }

        static func render(_ found: Case) -> String {
            var fields = Fields()
            fields.append("case", found.id)
            fields.append("cohort", found.cohort)
            fields.append("persons", Formatting.count(found.persons))
            fields.append("state", found.state + (found.overdue ? " (overdue)" : ""))
            fields.append("since", Formatting.time(found.enteredAt))
            fields.append("pipeline version", String(found.pipelineVersion))
            fields.append("attributes", Formatting.attributes(found.attributes))
            fields.append("created", Formatting.time(found.createdAt))
            return fields.render()
        }
    }
}

/// `casetrackctl transition`: Transition one case.
struct TransitionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transition", abstract: "Move a case by a transition event, or to a target state.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The case's id.")
    var caseId: String

    @Argument(help: "The transition event, e.g. interview-scheduled (optional with --to).")
    var event: String?

    @Option(help: "The target state (instead of, or to check, the event).")
    var to: String?

    @Option(help: "Refuse unless the case is in this state (guards against a concurrent change).")
    var expect: String?

    @Option(help: "A note for the event log.")
    var note: String?

    func validate() throws {
        guard event != nil || to != nil else { throw ValidationError("give an EVENT or --to STATE") }
    }

    func run() async throws {
        try await global.withDaemon { daemon in
            let reply = try await daemon.call(
                "Transition",
                [
                    "caseId": .string(caseId), "event": .optional(event), "to": .optional(to),
                    "expectedState": .optional(expect), "note": .optional(note), "requestId": newRequestID(),
                ])
            let moved = try reply.member("event", as: Event.self, of: Daemon.interface + ".Transition")
            global.print(reply) { Printer.out(moved.line) }
        }
    }
}

/// `casetrackctl cases`: ListCases, page by page.
struct CasesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cases", abstract: "List cases in id order, by cohort, state or overdue.")

    @OptionGroup var global: GlobalOptions

    @Option(help: "Only this cohort's cases.")
    var cohort: String?

    @Option(help: "Only cases in this state.")
    var state: String?

    @Flag(help: "Only cases over their state's SLA.")
    var overdue = false

    @Option(help: "At most this many cases per page (the daemon caps it).")
    var limit: Int?

    @Option(help: "Start after this case id (the `next` of a previous page).")
    var after: String?

    @Flag(help: "Follow every page to the end.")
    var all = false

    func validate() throws {
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
    }

    func run() async throws {
        try await global.withDaemon { daemon in
            var cases: [JSONValue] = []
            var cursor = after
            var next: String?
            repeat {
                let reply = try await daemon.call(
                    "ListCases",
                    [
                        "cohort": .optional(cohort), "state": .optional(state), "overdue": overdue ? .bool(true) : nil,
                        "limit": .optional(limit), "after": .optional(cursor),
                    ])
                cases += reply["cases"]?.arrayValue ?? []
                next = reply["next"]?.stringValue
                cursor = next
            } while all && next != nil
            var reply: [String: JSONValue] = ["cases": .array(cases)]
            if let next { reply["next"] = .string(next) }
            let method = Daemon.interface + ".ListCases"
            let decoded = try JSONValue.object(reply).member("cases", as: [Case].self, of: method)
            global.print(.object(reply)) {
                var table = Table([
                    .text("CASE"), .text("COHORT"), .text("STATE"), .number("PERSONS"), .text("SINCE"),
                    .text("OVERDUE"),
                    .text("ATTRIBUTES"),
                ])
                for found in decoded {
                    table.append([
                        found.id, found.cohort, found.state, Formatting.count(found.persons),
                        Formatting.time(found.enteredAt), found.overdue ? "overdue" : "",
                        Formatting.attributes(found.attributes),
                    ])
                }
                Printer.out(decoded.isEmpty ? "no cases" : table.render())
                if let next {
                    Printer.err("more cases follow: --after \(next), or --all")
                }
            }
        }
    }
}
