import CaseTrackCore
import Foundation
import Testing

@testable import CaseTrackStore

@Suite("Stored attributes")
struct AttributeEncodingTests {
    @Test("attributes survive the store's JSON, whatever their text")
    func roundTrip() throws {
        let cases: [[String: String]] = [
            [:], ["host": "PK"], ["province": "Khyber Pakhtunkhwa", "camp": "Nowshera \"B\""],
            ["note-ish": "back\\slash / tab\there", "unicode": "Kābul — کابل", "control": "a\u{1}b"],
        ]
        for attributes in cases {
            let text = Rows.encode(attributes)
            #expect(Rows.attributes(text) == attributes, "\(text)")
            let parsed = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: String]
            #expect(parsed == attributes, "not valid JSON: \(text)")
        }
        #expect(Rows.encode(["b": "2", "a": "1"]) == #"{"a":"1","b":"2"}"#)
    }

    @Test("a case's awkward attributes come back unchanged from the writer's own read when it moves")
    func throughTransition() async throws {
        try await StoreFixture.withTemporaryDirectory { directory in
            let store = try await SQLiteStore.open(path: directory + "/casetrack.sqlite", pipelines: StoreFixture.pipelines)
            try await StoreFixture.createAfghansPK(store)
            let attributes = ["camp": "Nowshera \"B\"", "unicode": "Kābul — کابل 👨‍👩‍👧", "slashes": "a/b\\c"]
            _ = try await store.apply(
                .addCase(cohort: "afghans-pk", NewCase(id: "PK-1", persons: 4, attributes: attributes)),
                context: StoreFixture.context())
            let moved = try await store.apply(
                .transition(caseId: "PK-1", event: "prescreened", to: nil, expectedState: nil, note: nil),
                context: StoreFixture.context())
            guard case .transitioned(let record, _) = moved else {
                Issue.record("not a transition: \(moved)")
                return
            }
            #expect(record.attributes == attributes)
            #expect(record.id == "PK-1" && record.cohort == "afghans-pk" && record.persons == 4)
            #expect(try await store.caseRecord(id: "PK-1") == record)
            await store.close()
        }
    }
}
