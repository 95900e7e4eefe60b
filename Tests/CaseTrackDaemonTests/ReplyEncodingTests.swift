import CaseTrackCore
import CaseTrackStore
import Foundation
import Testing
import Varlink

@testable import CaseTrackDaemon

/// The replies sent most often (DescribeCohort, Transition, Intake, Move,
/// Watch) are written by hand with JSONWriter; a client must not be able to
/// tell them from what JSONEncoder writes for the same value.
@Suite("Hand-written replies")
struct ReplyEncodingTests {
    /// Text a caseworker or a careless script might put in a title, an
    /// attribute or a note.
    static let awkward = [
        "", "plain", "quote \" and backslash \\", "slash / and tab \t", "line\nbreak\r\n", "bell \u{07} and nul \u{00}",
        "\u{1F}", "Peshawar — پشاور", "emoji 👨‍👩‍👧", "\u{7F} delete", "{\"json\": [1, 2]}",
    ]

    static func value(_ json: JSONWriter) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: Data(json.bytes))
    }

    static func value(encoding value: some Encodable) throws -> JSONValue {
        try JSONValue(encoding: value)
    }

    @Test("a cohort with awkward text in its title and attributes reads the same either way")
    func cohort() throws {
        let pipelines = try PipelineCatalog.load(directory: DigestWorld.root + "/Config/pipelines")
        let usrap = try #require(pipelines["usrap"])
        for (index, text) in Self.awkward.enumerated() {
            let cohort = Cohort(
                id: "afghans-pk-\(index)", pipeline: "usrap", pipelineVersion: 3, title: index == 0 ? nil : text,
                attributes: index == 1 ? [:] : ["host": text, "nationality": "AF", text.isEmpty ? "k" : "note": text],
                createdAt: Timestamp(millisecondsSinceEpoch: 1_790_000_000_123))
            let counts = [
                StateCount(state: "referred", cases: 3, casePersons: 11, unregistered: 25_000),
                StateCount(state: "retired-state", cases: 1, casePersons: 2),
            ]
            for withCounts in [true, false] {
                let out = Wire.OneCohortOut(
                    cohort: Wire.CohortOut(CohortCounts(cohort: cohort, counts: counts), pipeline: usrap, withCounts: withCounts))
                #expect(try Self.value(out.json) == Self.value(encoding: out), "\(text.debugDescription)")
            }
        }
    }

    @Test("a transition's case and event, and an intake's event, read the same either way")
    func transitionAndEvent() throws {
        for text in Self.awkward {
            let record = Case(
                id: "RSC-\(text.count)", cohort: "afghans-pk", persons: 6, state: "travel-booked",
                enteredAt: Timestamp(millisecondsSinceEpoch: -1_000), pipelineVersion: 2, attributes: ["province": text],
                createdAt: Timestamp(millisecondsSinceEpoch: 1_790_000_000_999))
            let event = Event(
                seq: 9_007_199_254_740_993, time: Timestamp(millisecondsSinceEpoch: 1_790_000_001_000), actor: text,
                kind: .transition, cohort: "afghans-pk", caseId: record.id, event: "travel-booked", from: "oriented",
                to: "travel-booked", persons: 6, note: text.isEmpty ? nil : text, requestId: text.isEmpty ? nil : text)
            let transition = Wire.TransitionOut(
                case: Wire.CaseOut(record, pipeline: nil, now: Timestamp(millisecondsSinceEpoch: 0)), event: event)
            #expect(try Self.value(transition.json) == Self.value(encoding: transition), "\(text.debugDescription)")
            let intake = Wire.EventOut(
                event: Event(
                    seq: 1, time: Timestamp(millisecondsSinceEpoch: 0), actor: "root", kind: .intake, cohort: text,
                    to: "referred", persons: 25_000))
            #expect(try Self.value(intake.json) == Self.value(encoding: intake), "\(text.debugDescription)")
        }
    }

    @Test("escapes: quotes, backslashes and control characters are escaped, other text is copied")
    func escapes() {
        var json = JSONWriter()
        json.beginObject()
        json.member("a", "\"\\/\n\u{01}é")
        json.key("b")
        json.beginArray()
        json.int(-3)
        json.bool(false)
        json.null()
        json.endArray()
        json.member("c", nil as String?)
        json.endObject()
        #expect(String(decoding: json.bytes, as: UTF8.self) == #"{"a":"\"\\/\n\u0001é","b":[-3,false,null]}"#)
    }

    @Test("integers are written as JSONEncoder writes them, the extremes too")
    func integers() throws {
        let values: [Int64] = [0, 7, -7, 10, -10, 1_000_000, .max, .min, .max - 1, .min + 1]
        for value in values {
            var json = JSONWriter()
            json.int(value)
            #expect(String(decoding: json.bytes, as: UTF8.self) == String(value))
        }
        var json = JSONWriter()
        json.beginArray()
        for value in values { json.int(value) }
        json.endArray()
        #expect(json.bytes == Array(try JSONEncoder().encode(values)))
    }
}
