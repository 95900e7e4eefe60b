import ArgumentParser
import Foundation
import Varlink

/// `casetrackctl purge`: Purge.
struct PurgeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "purge",
        abstract: "Remove cases that reached an outcome before a date (needs the admin role).",
        discussion: """
            Every case in a terminal state (resettled, denied, withdrawn, deported, …) that entered \
            it before DATE is deleted. Its persons stay in that state's counts as unregistered \
            persons, so totals and digests do not change; the event log keeps what happened without \
            the case ids. One purge event is recorded per case.
            """)

    @OptionGroup var global: GlobalOptions

    @Option(name: .customLong("closed-before"), help: ArgumentHelp("An RFC 3339 date or time, e.g. 2026-01-01.", valueName: "date"))
    var closedBefore: String

    func run() async throws {
        try await global.withDaemon { daemon in
            let reply = try await daemon.call(
                "Purge", ["closedBefore": .string(closedBefore), "requestId": newRequestID()])
            global.print(reply) {
                let cases = reply["cases"]?.intValue.map { Formatting.count(Int($0)) } ?? "?"
                let persons = reply["persons"]?.intValue.map { Formatting.count(Int($0)) } ?? "?"
                Printer.out("purged \(cases) cases closed before \(closedBefore); their \(persons) persons stay in the counts")
            }
        }
    }
}
