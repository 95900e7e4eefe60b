import ArgumentParser
import Varlink

/// The documents `casetrackctl digest --format` asks casetrackd to render.
enum DigestDocumentFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json, md, html
}

/// `casetrackctl digests`: ListDigests, the digests the schedule wrote.
struct DigestsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "digests",
        abstract: "List the digests casetrackd wrote on its schedule, newest first.",
        discussion: """
            The files are in casetrackd's state directory under digests/ \
            (/var/lib/casetrack/digests/NAME.json, .md, .html; latest.* link to the newest).
            """)

    @OptionGroup var global: GlobalOptions

    struct Entry: Decodable {
        var name: String
        var time: String
        var formats: [String]
        var bytes: Int
    }

    func run() async throws {
        try await global.withDaemon { daemon in
            let (reply, digests) = try await daemon.call("ListDigests", member: "digests", as: [Entry].self)
            global.print(reply) {
                guard !digests.isEmpty else {
                    Printer.out("no digests written yet (casetrackctl digest computes one now)")
                    return
                }
                var table = Table([.text("NAME"), .text("TIME"), .text("FORMATS"), .number("BYTES")])
                for digest in digests {
                    table.append([
                        digest.name, Formatting.time(digest.time), digest.formats.joined(separator: ","),
                        Formatting.count(digest.bytes),
                    ])
                }
                Printer.out(table.render())
            }
        }
    }
}
