public import CaseTrackCore
import Foundation

/// The forms a digest is written in.
public enum DigestFormat: String, Sendable, CaseIterable {
    /// Plain text for a terminal.
    case text
    /// The documented JSON layout (``Digest``'s encoding).
    case json
    /// Markdown.
    case md
    /// One self-contained HTML file with inline SVG charts.
    case html

    public func render(_ digest: Digest) -> String {
        switch self {
        case .text: DigestText(digest: digest, markdown: false).render()
        case .md: DigestText(digest: digest, markdown: true).render()
        case .html: DigestHTML(digest: digest).render()
        case .json: Self.json(digest)
        }
    }

    static func json(_ digest: Digest) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return ((try? encoder.encode(digest)).map { String(decoding: $0, as: UTF8.self) } ?? "{}") + "\n"
    }
}

extension Digest {
    /// A one-line summary, the journal entry's MESSAGE.
    public var headline: String {
        let cohortsText = cohorts.count == 1 ? "cohort \(cohorts[0].cohort)" : "\(cohorts.count) cohorts"
        return "Digest of \(cohortsText): \(total.activePersons) persons active, \(total.movedPersons) moved, "
            + "\(total.overdueCases) cases overdue, clearance \(total.throughput.projectedClearance)"
    }
}

extension CohortDigest.StateFigures {
    var kindLabel: String { outcome.map { "exited: \($0)" } ?? "active" }
}

/// The text and Markdown forms.
struct DigestText {
    let digest: Digest
    let markdown: Bool

    func render() -> String {
        var out: [String] = []
        out.append(heading(1, "casetrack digest \(digest.generatedAt.rfc3339)"))
        var lead = "Events through #\(digest.throughSeq)"
        lead +=
            digest.since.map { ", movements since the digest of \($0.time.rfc3339)" }
            ?? ", movements since the beginning"
        if let threshold = digest.suppressionThreshold {
            lead +=
                ". Counts from 1 to \(threshold - 1) are withheld (shown as <\(threshold)); totals add only what is shown."
        } else {
            lead += ". Exact figures: not for publication."
        }
        out.append(lead)
        out.append(heading(2, "All cohorts"))
        out.append(summary(digest.total))
        for cohort in digest.cohorts { out.append(contentsOf: section(cohort)) }
        return out.joined(separator: "\n\n") + "\n"
    }

    private func heading(_ level: Int, _ text: String) -> String {
        markdown
            ? String(repeating: "#", count: level) + " " + text
            : (level == 1 ? text.uppercased() : text + "\n" + String(repeating: "-", count: text.count))
    }

    private func summary(_ summary: DigestSummary) -> String {
        let exited = summary.exited.keys.sorted().map { "\($0) \(summary.exited[$0]!)" }.joined(separator: ", ")
        let throughput = summary.throughput
        let rate = { (value: Double?) in value.map { String(format: "%.2f/day", $0) } ?? "withheld" }
        let lines = [
            "Active: \(summary.activePersons) persons in \(summary.activeCases) cases",
            "Exited: \(exited.isEmpty ? "none" : exited)",
            "Since the previous digest: \(summary.movedPersons) persons moved, \(summary.enteredPersons) entered",
            "Reached an outcome: \(throughput.last7Days) in 7 days (\(rate(throughput.perDayLast7Days))), "
                + "\(throughput.last30Days) in 30 days (\(rate(throughput.perDayLast30Days)))",
            "Projected clearance at the 30-day rate: \(throughput.projectedClearance)",
            "Overdue: \(summary.overdueCases) cases, \(summary.overduePersons) persons",
        ]
        return lines.map { markdown ? "- " + $0 : "  " + $0 }.joined(separator: "\n")
    }

    private func section(_ cohort: CohortDigest) -> [String] {
        var out: [String] = []
        out.append(
            heading(2, "Cohort \(cohort.cohort)" + (cohort.title.map { ": \($0)" } ?? "") + " (\(cohort.pipeline))"))
        out.append(summary(cohort.summary))
        let days = { (value: Int?) in value.map(String.init) ?? "-" }
        out.append(
            table(
                ["State", "Persons", "Cases", "Net change", "Median days", "P90 days", "SLA", "Overdue cases"],
                numeric: [false, true, true, true, true, true, true, true],
                cohort.states.map { state in
                    [
                        state.title + (state.outcome.map { " (\($0))" } ?? ""), state.persons.description,
                        state.cases.description, state.netChange.text(signed: true), days(state.medianDaysInState),
                        days(state.p90DaysInState), state.slaDays.map { "\($0)d" } ?? "-",
                        state.slaDays == nil ? "-" : state.overdueCases.description,
                    ]
                }))
        out.append(markdown ? "**Movements since the previous digest**" : "Movements since the previous digest:")
        out.append(
            cohort.movements.isEmpty
                ? "none"
                : table(
                    ["From", "Event", "To", "Persons", "Cases"], numeric: [false, false, false, true, true],
                    cohort.movements.map { movement in
                        [
                            movement.from ?? "(new)", movement.event ?? movement.kind.rawValue, movement.to,
                            movement.persons.description, movement.cases.description,
                        ]
                    }))
        if !cohort.oldestOverdue.isEmpty {
            out.append(markdown ? "**Oldest overdue cases**" : "Oldest overdue cases:")
            out.append(
                table(
                    ["Case", "State", "Entered", "Days in state", "Days overdue"],
                    numeric: [false, false, false, true, true],
                    cohort.oldestOverdue.map {
                        [$0.id, $0.state, $0.enteredAt.date, String($0.daysInState), String($0.daysOverdue)]
                    }))
        }
        return out
    }

    private func table(_ header: [String], numeric: [Bool], _ rows: [[String]]) -> String {
        if markdown {
            func escape(_ text: String) -> String { text.replacingOccurrences(of: "|", with: "\\|") }
            var lines = ["| " + header.map(escape).joined(separator: " | ") + " |"]
            lines.append("|" + numeric.map { $0 ? " ---: |" : " --- |" }.joined())
            for row in rows { lines.append("| " + row.map(escape).joined(separator: " | ") + " |") }
            return lines.joined(separator: "\n")
        }
        var widths = header.map(\.count)
        for row in rows { for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) } }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { index, cell in
                let pad = String(repeating: " ", count: widths[index] - cell.count)
                return numeric[index] ? pad + cell : cell + pad
            }.joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }
        return ([line(header.map { $0.uppercased() })] + rows.map(line)).map { "  " + $0 }.joined(separator: "\n")
    }
}
