import CaseTrackCore
import Foundation

/// The HTML form: one self-contained, well-formed (XML-parsable) file with
/// an inline SVG chart per cohort of persons per state, and a line of
/// active persons over the recent digests. No scripts, no external assets.
struct DigestHTML {
    let digest: Digest

    func render() -> String {
        var body = ""
        body += "<h1>casetrack digest \(escape(digest.generatedAt.rfc3339))</h1>\n"
        if let threshold = digest.suppressionThreshold {
            body +=
                "<p class=\"note\">Counts from 1 to \(threshold - 1) are withheld and shown as "
                + "\(escape("<\(threshold)")); totals add only what is shown.</p>\n"
        } else {
            body += "<p class=\"note\">Exact figures: not for publication.</p>\n"
        }
        body +=
            "<p>Events through #\(digest.throughSeq); movements since "
            + (digest.since.map { "the digest of \(escape($0.time.rfc3339))" } ?? "the beginning") + ".</p>\n"
        body += "<h2>All cohorts</h2>\n" + summary(digest.total)
        for cohort in digest.cohorts { body += section(cohort) }
        return """
            <!DOCTYPE html>
            <html xmlns="http://www.w3.org/1999/xhtml" lang="en">
            <head>
            <meta charset="utf-8"/>
            <title>casetrack digest \(escape(digest.generatedAt.rfc3339))</title>
            <style>
            body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 60em; color: #222; }
            table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
            th, td { padding: 0.2em 0.7em; border-bottom: 1px solid #ddd; }
            td.n { text-align: right; font-variant-numeric: tabular-nums; }
            tr.exited td { color: #666; }
            .note { color: #a33; }
            svg { display: block; margin: 0.5em 0 1em; }
            </style>
            </head>
            <body>
            \(body)</body>
            </html>

            """
    }

    private func summary(_ summary: DigestSummary) -> String {
        let exited = summary.exited.keys.sorted().map { "\($0) \(summary.exited[$0]!)" }.joined(separator: ", ")
        let throughput = summary.throughput
        let rate = { (value: Double?) in value.map { String(format: "%.2f", $0) } ?? "withheld" }
        let items = [
            "Active: <b>\(escape(summary.activePersons.description))</b> persons in \(escape(summary.activeCases.description)) cases",
            "Exited: \(escape(exited.isEmpty ? "none" : exited))",
            "Since the previous digest: \(escape(summary.movedPersons.description)) persons moved, "
                + "\(escape(summary.enteredPersons.description)) entered",
            "Reached an outcome: \(escape(throughput.last7Days.description)) in 7 days (\(rate(throughput.perDayLast7Days))/day), "
                + "\(escape(throughput.last30Days.description)) in 30 days (\(rate(throughput.perDayLast30Days))/day)",
            "Projected clearance at the 30-day rate: <b>\(escape(throughput.projectedClearance.description))</b>",
            "Overdue: \(escape(summary.overdueCases.description)) cases, \(escape(summary.overduePersons.description)) persons",
        ]
        return "<ul>\n" + items.map { "<li>\($0)</li>\n" }.joined() + "</ul>\n"
    }

    private func section(_ cohort: CohortDigest) -> String {
        var html =
            "<h2>Cohort \(escape(cohort.cohort))\(escape(cohort.title.map { ": \($0)" } ?? "")) "
            + "<small>(\(escape(cohort.pipeline)))</small></h2>\n"
        html += summary(cohort.summary)
        html += barChart(cohort)
        html += lineChart(cohort)
        html +=
            "<table>\n<tr><th>State</th><th>Persons</th><th>Cases</th><th>Net change</th><th>Median days</th>"
            + "<th>P90 days</th><th>SLA</th><th>Overdue cases</th></tr>\n"
        for state in cohort.states {
            let median: String = state.medianDaysInState.map(String.init) ?? "-"
            let p90: String = state.p90DaysInState.map(String.init) ?? "-"
            let sla: String = state.slaDays.map { "\($0)d" } ?? "-"
            let overdue: String = state.slaDays == nil ? "-" : state.overdueCases.description
            let cells: [String] = [
                state.persons.description, state.cases.description, state.netChange.text(signed: true), median, p90,
                sla, overdue,
            ]
            let rowClass: String = state.outcome == nil ? "" : " class=\"exited\""
            let label: String = state.title + (state.outcome.map { " (\($0))" } ?? "")
            html += "<tr\(rowClass)><td>\(escape(label))</td>"
            html += cells.map { "<td class=\"n\">\(escape($0))</td>" }.joined() + "</tr>\n"
        }
        html += "</table>\n<h3>Movements since the previous digest</h3>\n"
        if cohort.movements.isEmpty {
            html += "<p>none</p>\n"
        } else {
            html += "<table>\n<tr><th>From</th><th>Event</th><th>To</th><th>Persons</th><th>Cases</th></tr>\n"
            for movement in cohort.movements {
                html +=
                    "<tr><td>\(escape(movement.from ?? "(new)"))</td><td>\(escape(movement.event ?? movement.kind.rawValue))</td>"
                    + "<td>\(escape(movement.to))</td><td class=\"n\">\(escape(movement.persons.description))</td>"
                    + "<td class=\"n\">\(escape(movement.cases.description))</td></tr>\n"
            }
            html += "</table>\n"
        }
        if !cohort.oldestOverdue.isEmpty {
            html +=
                "<h3>Oldest overdue cases</h3>\n<table>\n"
                + "<tr><th>Case</th><th>State</th><th>Entered</th><th>Days in state</th><th>Days overdue</th></tr>\n"
            for overdue in cohort.oldestOverdue {
                html +=
                    "<tr><td>\(escape(overdue.id))</td><td>\(escape(overdue.state))</td><td>\(overdue.enteredAt.date)</td>"
                    + "<td class=\"n\">\(overdue.daysInState)</td><td class=\"n\">\(overdue.daysOverdue)</td></tr>\n"
            }
            html += "</table>\n"
        }
        return html
    }

    /// Horizontal bars of persons per state; a withheld count draws no bar.
    private func barChart(_ cohort: CohortDigest) -> String {
        let rowHeight = 18
        let labelWidth = 260
        let barWidth = 380
        let height = rowHeight * cohort.states.count + 10
        let largest = max(1, cohort.states.map(\.persons.shown).max() ?? 1)
        var svg =
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(labelWidth + barWidth + 90)\" height=\"\(height)\" "
            + "role=\"img\" aria-label=\"Persons per state in \(escape(cohort.cohort))\">\n"
            + "<title>Persons per state</title>\n"
        for (row, state) in cohort.states.enumerated() {
            let y = 5 + row * rowHeight
            let width =
                state.persons.isExact ? Int(Double(barWidth) * Double(state.persons.shown) / Double(largest)) : 0
            let colour = state.outcome == nil ? "#3b6ea5" : "#9aa5b1"
            svg +=
                "<text x=\"\(labelWidth - 6)\" y=\"\(y + 13)\" font-size=\"12\" text-anchor=\"end\">\(escape(state.title))</text>"
            svg +=
                "<rect x=\"\(labelWidth)\" y=\"\(y + 2)\" width=\"\(width)\" height=\"\(rowHeight - 4)\" fill=\"\(colour)\"/>"
            svg +=
                "<text x=\"\(labelWidth + width + 4)\" y=\"\(y + 13)\" font-size=\"12\">\(escape(state.persons.description))</text>\n"
        }
        return svg + "</svg>\n"
    }

    /// Active persons at each remembered digest and now; withheld points are left out.
    private func lineChart(_ cohort: CohortDigest) -> String {
        let points = cohort.activeHistory.filter(\.activePersons.isExact)
        let width = 640
        let height = 160
        let left = 60
        let bottom = 20
        var svg =
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height + bottom)\" role=\"img\" "
            + "aria-label=\"Active persons over recent digests in \(escape(cohort.cohort))\">\n"
            + "<title>Active persons over recent digests</title>\n"
            + "<line x1=\"\(left)\" y1=\"\(height)\" x2=\"\(width - 10)\" y2=\"\(height)\" stroke=\"#999\"/>\n"
        guard let first = points.first, let last = points.last else {
            return svg + "<text x=\"\(left)\" y=\"\(height / 2)\" font-size=\"12\">no figures to draw</text>\n</svg>\n"
        }
        let top = max(1, points.map(\.activePersons.shown).max() ?? 1)
        let span = max(1, last.time.millisecondsSinceEpoch - first.time.millisecondsSinceEpoch)
        func x(_ point: CohortDigest.Point) -> Int {
            points.count == 1
                ? (left + width - 10) / 2
                : left
                    + Int(
                        Double(width - 10 - left)
                            * Double(point.time.millisecondsSinceEpoch - first.time.millisecondsSinceEpoch)
                            / Double(span))
        }
        func y(_ point: CohortDigest.Point) -> Int {
            height - 10 - Int(Double(height - 20) * Double(point.activePersons.shown) / Double(top))
        }
        let path = points.map { "\(x($0)),\(y($0))" }.joined(separator: " ")
        svg += "<polyline points=\"\(path)\" fill=\"none\" stroke=\"#3b6ea5\" stroke-width=\"2\"/>\n"
        for point in points {
            svg +=
                "<circle cx=\"\(x(point))\" cy=\"\(y(point))\" r=\"3\" fill=\"#3b6ea5\"><title>\(point.time.rfc3339): "
                + "\(escape(point.activePersons.description))</title></circle>\n"
        }
        svg +=
            "<text x=\"\(left - 4)\" y=\"14\" font-size=\"11\" text-anchor=\"end\">\(escape(DigestCount.grouped(top)))</text>\n"
        svg += "<text x=\"\(left)\" y=\"\(height + 15)\" font-size=\"11\">\(first.time.date)</text>\n"
        svg +=
            "<text x=\"\(width - 10)\" y=\"\(height + 15)\" font-size=\"11\" text-anchor=\"end\">\(last.time.date)</text>\n"
        return svg + "</svg>\n"
    }

    private func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }
}
