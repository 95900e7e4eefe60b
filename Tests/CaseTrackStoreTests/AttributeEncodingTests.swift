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
}
