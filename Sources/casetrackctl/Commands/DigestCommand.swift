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

    func run() async throws {
        try await global.withDaemon { daemon in
            let reply = try await daemon.call("Digest", ["cohort": .optional(cohort)])
            global.print(reply) { Printer.out(DigestRendering.render(reply["digest"] ?? .null)) }
        }
    }
}

/// Renders a digest object readably, tolerating members it does not know.
enum DigestRendering {
    private static let knownCohortKeys: Set<String> = [
        "cohort", "pipeline", "states", "activePersons", "activeCases", "exited",
    ]
    private static let knownTopKeys: Set<String> = ["generatedAt", "cohorts", "activePersons", "activeCases", "exited"]

    static func render(_ digest: JSONValue) -> String {
        var blocks: [String] = []
        let cohorts: [JSONValue]
        if let list = digest["cohorts"]?.arrayValue {
            cohorts = list
        } else if digest["states"] != nil {
            cohorts = [digest]
        } else {
            cohorts = []
        }
        var header = Fields()
        header.append("generated", digest["generatedAt"]?.stringValue.map(Formatting.time))
        if cohorts.count != 1 || digest["cohorts"] != nil {
            header.append("active", active(digest))
            header.append("exited", exited(digest))
        }
        for (key, value) in extraScalars(digest, skipping: knownTopKeys) { header.append(key, value) }
        blocks.append(header.render())
        for cohort in cohorts { blocks.append(render(cohort: cohort)) }
        if cohorts.isEmpty && digest["cohorts"] != nil { blocks.append("no cohorts") }
        return blocks.filter { !$0.isEmpty }.joined(separator: "\n\n")
    }

    private static func render(cohort: JSONValue) -> String {
        var fields = Fields()
        fields.append("cohort", "\(cohort["cohort"]?.stringValue ?? "?") (\(cohort["pipeline"]?.stringValue ?? "?"))")
        fields.append("active", active(cohort))
        fields.append("exited", exited(cohort))
        for (key, value) in extraScalars(cohort, skipping: knownCohortKeys) { fields.append(key, value) }
        var table = Table([.text("STATE"), .number("PERSONS"), .number("CASES"), .text("OUTCOME")])
        for state in cohort["states"]?.arrayValue ?? [] {
            table.append([
                state["state"]?.stringValue ?? "?", number(state["persons"]), number(state["cases"]),
                state["outcome"]?.stringValue ?? "",
            ])
        }
        return fields.render() + "\n" + table.render()
    }

    private static func active(_ value: JSONValue) -> String {
        "\(number(value["activePersons"])) persons in \(number(value["activeCases"])) cases"
    }

    private static func exited(_ value: JSONValue) -> String {
        guard let exited = value["exited"]?.objectValue, !exited.isEmpty else { return "none" }
        let total = exited.values.compactMap(\.intValue).reduce(0, +)
        let parts = exited.keys.sorted().map { "\($0) \(number(exited[$0]))" }
        return "\(Formatting.count(Int(total))) persons (\(parts.joined(separator: ", ")))"
    }

    /// Members this renderer has no layout for, as text (a newer daemon may add figures).
    private static func extraScalars(_ value: JSONValue, skipping known: Set<String>) -> [(String, String)] {
        guard let members = value.objectValue else { return [] }
        return members.keys.sorted().filter { !known.contains($0) }.map { key in
            let member = members[key]!
            switch member {
            case .int, .double: return (key, number(member))
            case .string(let text): return (key, text)
            default: return (key, Printer.compact(member))
            }
        }
    }

    private static func number(_ value: JSONValue?) -> String {
        switch value {
        case .int(let integer): return Formatting.count(Int(integer))
        case .double(let double): return String(double)
        case .none, .null: return "-"
        case .some(let other): return Printer.compact(other)
        }
    }
}
