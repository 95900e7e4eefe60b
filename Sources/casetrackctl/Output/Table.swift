/// A plain-text table: a header, rows, and an optional total line, with
/// columns padded to their widest cell and numbers aligned on the right.
struct Table {
    enum Alignment {
        case left
        case right
    }

    struct Column {
        var title: String
        var alignment: Alignment

        static func text(_ title: String) -> Column { Column(title: title, alignment: .left) }
        static func number(_ title: String) -> Column { Column(title: title, alignment: .right) }
    }

    var columns: [Column]
    var rows: [[String]] = []
    /// Printed under a rule after the rows, e.g. a total.
    var footer: [String]?

    init(_ columns: [Column]) {
        self.columns = columns
    }

    mutating func append(_ row: [String]) {
        rows.append(row)
    }

    /// The table as lines, without trailing spaces.
    func render() -> String {
        let allRows = [columns.map(\.title)] + rows + (footer.map { [$0] } ?? [])
        var widths = columns.map { _ in 0 }
        for row in allRows {
            for (index, cell) in row.enumerated() where index < widths.count {
                widths[index] = max(widths[index], cell.count)
            }
        }
        var lines: [String] = [line(columns.map(\.title), widths: widths)]
        lines.append(contentsOf: rows.map { line($0, widths: widths) })
        if let footer {
            lines.append(String(repeating: "-", count: widths.reduce(0, +) + 2 * max(widths.count - 1, 0)))
            lines.append(line(footer, widths: widths))
        }
        return lines.joined(separator: "\n")
    }

    private func line(_ cells: [String], widths: [Int]) -> String {
        var parts: [String] = []
        for (index, width) in widths.enumerated() {
            let cell = index < cells.count ? cells[index] : ""
            let padding = String(repeating: " ", count: max(width - cell.count, 0))
            switch columns[index].alignment {
            case .left: parts.append(cell + padding)
            case .right: parts.append(padding + cell)
            }
        }
        var text = parts.joined(separator: "  ")
        while text.last == " " { text.removeLast() }
        return text
    }
}

/// Key: value lines with the values aligned.
struct Fields {
    private var pairs: [(String, String)] = []

    mutating func append(_ key: String, _ value: String) {
        pairs.append((key, value))
    }

    mutating func append(_ key: String, _ value: String?) {
        if let value { pairs.append((key, value)) }
    }

    func render() -> String {
        let width = pairs.map { $0.0.count }.max() ?? 0
        return pairs.map { key, value in
            key + ":" + String(repeating: " ", count: width - key.count + 1) + value
        }.joined(separator: "\n")
    }
}
