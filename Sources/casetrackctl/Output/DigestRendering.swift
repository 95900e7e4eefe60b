import Varlink

/// Renders the daemon's digest object readably: the totals, then per cohort
/// its summary, persons and cases per state, movements and oldest overdue
/// cases. Read member by member, so a newer daemon's extra figures do not
/// break it.
enum DigestRendering {
    static func render(_ digest: JSONValue) -> String {
        var blocks: [String] = []
        var header = Fields()
        header.append("generated", digest["generatedAt"]?.stringValue.map(Formatting.time))
        header.append("through seq", digest["throughSeq"].map(count))
        if let since = digest["since"], since != .null {
            let time = since["time"]?.stringValue.map(Formatting.time) ?? "?"
            header.append("movements since", "seq \(count(since["seq"])) (\(time))")
        }
        if let threshold = digest["suppressionThreshold"]?.intValue {
            header.append("withheld", "non-zero counts below \(threshold) are shown as <\(threshold)")
        }
        blocks.append(header.render())
        let cohorts = digest["cohorts"]?.arrayValue ?? []
        if let total = digest["total"], cohorts.count != 1 {
            blocks.append("all cohorts\n" + summary(total).render())
        }
        for cohort in cohorts { blocks.append(render(cohort: cohort)) }
        if cohorts.isEmpty { blocks.append("no cohorts") }
        return blocks.joined(separator: "\n\n")
    }

    private static func render(cohort: JSONValue) -> String {
        var title = cohort["cohort"]?.stringValue ?? "?"
        if let text = cohort["title"]?.stringValue { title += " — \(text)" }
        if let pipeline = cohort["pipeline"]?.stringValue { title += " (\(pipeline))" }
        var parts = [title, summary(cohort["summary"] ?? .null).render()]

        var states = Table([
            .text("STATE"), .number("PERSONS"), .number("CASES"), .number("CHANGE"), .number("OVERDUE"),
            .number("MEDIAN DAYS"), .number("P90 DAYS"), .text("OUTCOME"),
        ])
        for state in cohort["states"]?.arrayValue ?? [] {
            let overdue = state["overdueCases"].map(count) ?? ""
            states.append([
                state["state"]?.stringValue ?? "?", count(state["persons"]), count(state["cases"]),
                state["netChange"].map { count($0, signed: true) } ?? "",
                overdue == "0" ? "" : overdue,
                state["medianDaysInState"].map(count) ?? "", state["p90DaysInState"].map(count) ?? "",
                state["outcome"]?.stringValue ?? "",
            ])
        }
        parts.append(states.render())

        let movements = cohort["movements"]?.arrayValue ?? []
        if !movements.isEmpty {
            var table = Table([
                .text("MOVEMENT"), .text("EVENT"), .text("FROM"), .text("TO"), .number("PERSONS"), .number("CASES"),
            ])
            for movement in movements {
                table.append([
                    movement["kind"]?.stringValue ?? "?", movement["event"]?.stringValue ?? "",
                    movement["from"]?.stringValue ?? "", movement["to"]?.stringValue ?? "",
                    count(movement["persons"]), count(movement["cases"]),
                ])
            }
            parts.append(table.render())
        }

        let overdue = cohort["oldestOverdue"]?.arrayValue ?? []
        if !overdue.isEmpty {
            var table = Table([
                .text("OVERDUE CASE"), .text("STATE"), .number("PERSONS"), .number("DAYS IN STATE"),
                .number("DAYS OVERDUE"),
            ])
            for found in overdue {
                table.append([
                    found["id"]?.stringValue ?? "?", found["state"]?.stringValue ?? "?", count(found["persons"]),
                    count(found["daysInState"]), count(found["daysOverdue"]),
                ])
            }
            parts.append(table.render())
        }
        return parts.joined(separator: "\n")
    }

    /// A summary's figures (the digest's `total`, or a cohort's `summary`).
    private static func summary(_ summary: JSONValue) -> Fields {
        var fields = Fields()
        fields.append("active", "\(count(summary["activePersons"])) persons in \(count(summary["activeCases"])) cases")
        fields.append("exited", exited(summary["exited"]))
        if summary["enteredPersons"] != nil || summary["movedPersons"] != nil {
            fields.append(
                "movements",
                "\(count(summary["enteredPersons"])) persons entered, \(count(summary["movedPersons"])) moved")
        }
        if summary["overdueCases"] != nil {
            fields.append(
                "overdue", "\(count(summary["overdueCases"])) cases (\(count(summary["overduePersons"])) persons)")
        }
        if let throughput = summary["throughput"] {
            fields.append(
                "throughput",
                "\(count(throughput["last7Days"])) persons reached an outcome in 7 days (\(rate(throughput["perDayLast7Days"]))/day), "
                    + "\(count(throughput["last30Days"])) in 30 days (\(rate(throughput["perDayLast30Days"]))/day)")
            fields.append("clearance", clearance(throughput["projectedClearance"]))
        }
        return fields
    }

    private static func exited(_ value: JSONValue?) -> String {
        guard let exited = value?.objectValue else { return "-" }
        let nonZero = exited.keys.sorted().filter { exited[$0] != .int(0) }
        guard !nonZero.isEmpty else { return "none" }
        return nonZero.map { "\($0) \(count(exited[$0]))" }.joined(separator: ", ")
    }

    private static func clearance(_ value: JSONValue?) -> String {
        guard let value, let status = value["status"]?.stringValue else { return "-" }
        if let date = value["date"]?.stringValue {
            return "\(date) (\(count(value["days"])) days at the 30-day rate)"
        }
        return status.replacingOccurrences(of: "-", with: " ")
    }

    private static func rate(_ value: JSONValue?) -> String {
        switch value {
        case .int(let integer): return Formatting.count(Int(integer))
        case .double(let double): return double == double.rounded() ? Formatting.count(Int(double)) : String(double)
        default: return "withheld"
        }
    }

    /// A digest count: a number, or `{"suppressed": true, "shown", "withheldParts", "below"}`.
    static func count(_ value: JSONValue?) -> String {
        count(value, signed: false)
    }

    static func count(_ value: JSONValue?, signed: Bool) -> String {
        switch value {
        case .int(let integer):
            let text = Formatting.count(Int(integer))
            return signed && integer > 0 ? "+" + text : text
        case .double(let double):
            return String(double)
        case .some(.object(let members)):
            let shown = members["shown"]?.intValue ?? 0
            let parts = members["withheldParts"]?.intValue ?? 0
            let below = members["below"]?.intValue.map(String.init) ?? "?"
            let withheld = parts == 1 ? "<\(below)" : "\(parts)×<\(below)"
            return shown == 0 ? withheld : "\(Formatting.count(Int(shown))) + \(withheld)"
        case .none, .some(.null):
            return "-"
        case .some(let other):
            return Printer.compact(other)
        }
    }
}
