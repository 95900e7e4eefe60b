import ArgumentParser
import Varlink

/// `casetrackctl intake`: Intake of unregistered persons.
struct IntakeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "intake", abstract: "Add unregistered persons (known only as a number) to a cohort's state.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The cohort's id.")
    var cohort: String

    @Option(help: "How many persons.")
    var persons: Int

    @Option(help: "The state they enter (default: the pipeline's first initial state).")
    var state: String?

    @Option(help: "A note for the event log.")
    var note: String?

    func validate() throws {
        guard persons >= 1 else { throw ValidationError("--persons must be at least 1") }
    }

    func run() async throws {
        try await global.withDaemon { daemon in
            let (reply, event) = try await daemon.call(
                "Intake",
                [
                    "cohort": .string(cohort), "persons": .optional(persons), "state": .optional(state),
                    "note": .optional(note), "requestId": newRequestID(),
                ], member: "event", as: Event.self)
            global.print(reply) { Printer.out(event.line) }
        }
    }
}

/// `casetrackctl move`: Move of unregistered persons between states.
struct MoveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "move",
        abstract: "Move unregistered persons from one state to another, by target state or by event.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The cohort's id.")
    var cohort: String

    @Option(help: "The state they leave.")
    var from: String

    @Option(help: "The state they enter.")
    var to: String?

    @Option(help: "The transition event that moves them (instead of --to).")
    var event: String?

    @Option(help: "How many persons.")
    var persons: Int

    @Option(help: "A note for the event log.")
    var note: String?

    func validate() throws {
        guard persons >= 1 else { throw ValidationError("--persons must be at least 1") }
        guard (to == nil) != (event == nil) else { throw ValidationError("give exactly one of --to and --event") }
    }

    func run() async throws {
        try await global.withDaemon { daemon in
            let (reply, moved) = try await daemon.call(
                "Move",
                [
                    "cohort": .string(cohort), "from": .string(from), "to": .optional(to), "event": .optional(event),
                    "persons": .optional(persons), "note": .optional(note), "requestId": newRequestID(),
                ], member: "event", as: Event.self)
            global.print(reply) { Printer.out(moved.line) }
        }
    }
}
