import ArgumentParser
import Varlink

/// `casetrackctl digest`: Digest, rendered per cohort.
struct DigestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "digest",
        abstract: "Show the digest: persons and cases per state, active against exited by outcome.")

    @OptionGroup var global: GlobalOptions

    @Option(help: "Only this cohort.")
    var cohort: String?

    @Option(help: "The document casetrackd renders: text, json, md or html.")
    var format: DigestDocumentFormat = .text

    @Flag(help: "The published digest, small counts withheld, even when an admin asks.")
    var published = false

    func run() async throws {
        try await global.withDaemon { daemon in
            let reply = try await daemon.call(
                "Digest",
                [
                    "cohort": .optional(cohort), "format": .string(format.rawValue),
                    "published": published ? .bool(true) : nil,
                ])
            global.print(reply) {
                guard let rendered = reply["rendered"]?.stringValue else {
                    Printer.out(DigestRendering.render(reply["digest"] ?? .null))
                    return
                }
                Printer.out(rendered.hasSuffix("\n") ? String(rendered.dropLast()) : rendered)
            }
        }
    }
}
