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
        return (try? JSONDecoder().decode([String: String].self, from: Data(text.utf8))) ?? [:]
    }

    static func encode(_ attributes: [String: String]) -> String {
        guard !attributes.isEmpty else { return "{}" }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return (try? encoder.encode(attributes)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}
