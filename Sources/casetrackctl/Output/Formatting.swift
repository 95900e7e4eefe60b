import Foundation

/// How numbers, times and lists read in casetrackctl's tables.
enum Formatting {
    /// `25000` → `25,000`.
    static func count(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var grouped = ""
        for (index, digit) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { grouped.append(",") }
            grouped.append(digit)
        }
        return value < 0 ? "-" + grouped : grouped
    }

    /// An RFC 3339 time without its fraction of a second: `2024-05-01T10:00:00Z`.
    static func time(_ rfc3339: String) -> String {
        guard let dot = rfc3339.firstIndex(of: "."), rfc3339.hasSuffix("Z") else { return rfc3339 }
        return String(rfc3339[..<dot]) + "Z"
    }

    /// `1.234` seconds → `1.2s`.
    static func seconds(_ value: Double) -> String {
        String(format: "%.1fs", value)
    }

    /// `key=value` pairs in key order, or `-` when there are none.
    static func attributes(_ attributes: [String: String]) -> String {
        guard !attributes.isEmpty else { return "-" }
        return attributes.keys.sorted().map { "\($0)=\(attributes[$0]!)" }.joined(separator: " ")
    }
}
