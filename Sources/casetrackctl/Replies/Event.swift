/// One entry of the daemon's event log.
struct Event: Decodable, Sendable {
    var seq: Int
    var time: String
    var actor: String
    var kind: String
    var cohort: String
    var caseId: String?
    var event: String?
    var from: String?
    var to: String?
    var persons: Int
    var note: String?
    var requestId: String?

    /// What happened, in a few words: `intake 25,000 → referred`.
    var summary: String {
        var parts: [String] = []
        switch kind {
        case "cohort-created":
            parts.append("cohort created")
        case "intake":
            parts.append("intake \(Formatting.count(persons)) → \(to ?? "?")")
        case "move":
            parts.append("moved \(Formatting.count(persons)) \(from ?? "?") → \(to ?? "?")")
        case "case-added":
            parts.append("case \(caseId ?? "?") added, \(Formatting.count(persons)) persons, in \(to ?? "?")")
        case "transition":
            parts.append("case \(caseId ?? "?") \(from ?? "?") → \(to ?? "?")")
        default:
            parts.append(kind)
            if let caseId { parts.append("case \(caseId)") }
            if from != nil || to != nil { parts.append("\(from ?? "-") → \(to ?? "-")") }
            if persons != 0 { parts.append("persons \(Formatting.count(persons))") }
        }
        if let event, kind != "cohort-created" { parts.append("[\(event)]") }
        return parts.joined(separator: " ")
    }

    /// The event as one log line: `#12 2024-05-01T10:00:00Z afghans-pk alice: moved 1,200 …`.
    var line: String {
        var text = "#\(seq) \(Formatting.time(time)) \(cohort) \(actor): \(summary)"
        if let note, !note.isEmpty { text += " — \(note)" }
        return text
    }
}

extension Table {
    /// A table of events: seq, time, actor, cohort, what, persons, note.
    static func events(_ events: [Event], showCohort: Bool = true) -> Table {
        var columns: [Column] = [.number("SEQ"), .text("TIME"), .text("ACTOR")]
        if showCohort { columns.append(.text("COHORT")) }
        columns += [.text("KIND"), .text("CASE"), .text("FROM"), .text("TO"), .number("PERSONS"), .text("NOTE")]
        var table = Table(columns)
        for event in events {
            var row = [String(event.seq), Formatting.time(event.time), event.actor]
            if showCohort { row.append(event.cohort) }
            row += [
                event.kind, event.caseId ?? "", event.from ?? "", event.to ?? "",
                event.kind == "cohort-created" ? "" : Formatting.count(event.persons), event.note ?? "",
            ]
            table.append(row)
        }
        return table
    }
}
