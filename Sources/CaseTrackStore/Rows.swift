import CaseTrackCore
import Foundation
import GRDB

/// Decoding of stored rows into domain records.
enum Rows {
    static func cohort(_ row: Row) -> Cohort {
        Cohort(
            id: row["id"], pipeline: row["pipeline"], pipelineVersion: row["pipeline_version"], title: row["title"],
            attributes: attributes(row["attributes"]),
            createdAt: Timestamp(millisecondsSinceEpoch: row["created_at"]))
    }

    static func caseRecord(_ row: Row) -> Case {
        Case(
            id: row["id"], cohort: row["cohort"], persons: row["persons"], state: row["state"],
            enteredAt: Timestamp(millisecondsSinceEpoch: row["entered_at"]), pipelineVersion: row["pipeline_version"],
            attributes: attributes(row["attributes"]),
            createdAt: Timestamp(millisecondsSinceEpoch: row["created_at"]))
    }

    static func stateCount(_ row: Row) -> StateCount {
        StateCount(
            state: row["state"], cases: row["cases"], casePersons: row["case_persons"], unregistered: row["unregistered"])
    }

    static func event(_ row: Row) -> Event {
        Event(
            seq: row["seq"], time: Timestamp(millisecondsSinceEpoch: row["time"]), actor: row["actor"],
            kind: EventKind(rawValue: row["kind"]) ?? .transition, cohort: row["cohort"], caseId: row["case_id"],
            event: row["event"], from: row["from_state"], to: row["to_state"], persons: row["persons"],
            note: row["note"], requestId: row["request_id"])
    }

    static func attributes(_ text: String) -> [String: String] {
        guard text != "{}" else { return [:] }
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else { return [:] }
        return object.compactMapValues { $0 as? String }
    }

    /// Attributes as a JSON object with sorted keys (written per case: kept
    /// cheaper than JSONEncoder).
    static func encode(_ attributes: [String: String]) -> String {
        guard !attributes.isEmpty else { return "{}" }
        var text = "{"
        let keys = attributes.count == 1 ? Array(attributes.keys) : attributes.keys.sorted()
        for (index, key) in keys.enumerated() {
            if index > 0 { text += "," }
            appendQuoted(key, to: &text)
            text += ":"
            appendQuoted(attributes[key]!, to: &text)
        }
        return text + "}"
    }

    private static func appendQuoted(_ value: String, to text: inout String) {
        text += "\""
        // Most values need no escape: copy them whole.
        if !value.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            text += value
            text += "\""
            return
        }
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": text += "\\\""
            case "\\": text += "\\\\"
            case "\n": text += "\\n"
            case "\r": text += "\\r"
            case "\t": text += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    text += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    text.unicodeScalars.append(scalar)
                }
            }
        }
        text += "\""
    }
}
