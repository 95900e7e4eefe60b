import Foundation
import Testing

@testable import CaseTrackDaemon

/// `ImportCases` batches in the plain shape `casetrackctl import` sends are
/// read without JSONDecoder; whatever the shortcut reads must be what
/// JSONDecoder reads, and anything else must be left to JSONDecoder.
@Suite("Reading plain import batches")
struct PlainImportReaderTests {
    struct Envelope: Decodable {
        var parameters: Wire.ImportCasesIn
    }

    static func plain(_ text: String) -> Wire.ImportCasesIn? {
        Array(text.utf8).withUnsafeBytes { Wire.ImportCasesIn.plain($0) }
    }

    static func decoded(_ text: String) -> Wire.ImportCasesIn? {
        try? JSONDecoder().decode(Envelope.self, from: Data(text.utf8)).parameters
    }

    static let method = #""method":"io.casetrack.Tracker.ImportCases""#

    @Test("a batch as casetrackctl sends it reads the same as JSONDecoder reads it")
    func plainBatches() throws {
        let batches = [
            #"{\#(Self.method),"parameters":{"cohort":"afghans-pk","cases":[{"id":"AFG-0000001","persons":2,"attributes":{"province":"P1"}},{"id":"AFG-0000002","persons":3,"state":"referred","fromUnregistered":true,"attributes":{}}],"requestId":"run/1"}}"#,
            #"{ "parameters" : { "cases" : [ ] , "cohort" : "c" } , \#(Self.method) , "more" : false , "oneway" : null }"#,
            #"{\#(Self.method),"parameters":{"cohort":"پشاور","cases":[{"id":"x","persons":-0,"state":null,"attributes":null,"fromUnregistered":null}],"requestId":null}}"#,
            #"{\#(Self.method),"parameters":{"cohort":"c","cases":[{"persons":9223372036854775807,"id":"big","attributes":{"a":"1","b":"👨‍👩‍👧"}}]}}"#,
            #"{\#(Self.method),"parameters":{"cohort":"a\/b","cases":[{"id":"RSC\/1","persons":1,"attributes":{"note":"q\"b\\s\/n\nr\rt\tb\bf\f é"}}],"requestId":"run\/7"}}"#,
        ]
        for text in batches {
            let plain = try #require(Self.plain(text), "\(text)")
            #expect(plain == Self.decoded(text), "\(text)")
        }
    }

    /// What `casetrackctl import` encodes (JSONEncoder writes "/" as "\/").
    struct ClientCall: Encodable {
        struct NewCase: Encodable {
            var id: String
            var persons: Int
            var state: String?
            var attributes: [String: String]?
            var fromUnregistered: Bool?
        }
        struct Parameters: Encodable {
            var cohort: String
            var cases: [NewCase]
            var requestId: String
        }
        var method = "io.casetrack.Tracker.ImportCases"
        var parameters: Parameters
    }

    @Test("the batches casetrackctl import encodes take the shortcut")
    func clientBatches() throws {
        let call = ClientCall(
            parameters: .init(
                cohort: "afghans-pk",
                cases: (1...50).map {
                    .init(
                        id: "AFG/\($0)", persons: $0 % 7 + 1, state: $0 % 2 == 0 ? "referred" : nil,
                        attributes: $0 % 3 == 0 ? nil : ["province": "P\($0 % 34)", "note": "a \"quoted\" / path"],
                        fromUnregistered: $0 % 5 == 0 ? true : nil)
                }, requestId: "9f1c2b7e-0a4d-4e0e-9a52-1f5b0c7d3e21/12"))
        let text = String(decoding: try JSONEncoder().encode(call), as: UTF8.self)
        let plain = try #require(Self.plain(text), "\(text.prefix(200))")
        #expect(plain == Self.decoded(text))
        #expect(plain.cases.count == 50)
    }

    @Test("escapes, fractions, unknown members, duplicates and bad text are left to JSONDecoder")
    func leftToJSONDecoder() {
        let others = [
            #"{\#(Self.method),"parameters":{"cohort":"a\u002fb","cases":[]}}"#,
            #"{\#(Self.method),"parameters":{"cohort":"a\xb","cases":[]}}"#,
            #"{\#(Self.method),"parameters":{"cohort":"c","cases":[{"id":"x","persons":2.0}]}}"#,
            #"{\#(Self.method),"parameters":{"cohort":"c","cases":[{"id":"x","persons":1e1}]}}"#,
            #"{\#(Self.method),"parameters":{"cohort":"c","cases":[{"id":"x","persons":01}]}}"#,
            #"{\#(Self.method),"parameters":{"cohort":"c","cases":[{"id":"x","persons":99999999999999999999}]}}"#,
            #"{\#(Self.method),"parameters":{"cohort":"c","cases":[{"id":"x","persons":1,"colour":"red"}]}}"#,
            #"{\#(Self.method),"parameters":{"cohort":"c","cases":[{"id":"x","id":"y","persons":1}]}}"#,
            #"{\#(Self.method),"parameters":{"cohort":"c","cases":[{"id":"x","persons":1,"attributes":{"k":"1","k":"2"}}]}}"#,
            #"{\#(Self.method),"parameters":{"cohort":"c","cases":[{"id":"x","persons":1,"attributes":{"k":1}}]}}"#,
            #"{\#(Self.method),"parameters":{"cohort":"c","cases":[{"id":"x"}]}}"#,
            #"{\#(Self.method),"parameters":{"cohort":"c","cases":[{"id":"x","persons":1}],"extra":1}}"#,
            #"{\#(Self.method),"parameters":{"cases":[]}}"#,
            #"{\#(Self.method),"parameters":{"cohort":"c","cases":[]},"parameters":{"cohort":"d","cases":[]}}"#,
            #"{\#(Self.method),"parameters":{"cohort":"c","cases":[]}} trailing"#,
            #"{\#(Self.method),"parameters":{"cohort":"tab\#there","cases":[]}}"#,
            #"{\#(Self.method),"parameters":{"cohort":"c","cases":[{"id":"x","persons":1},]}}"#,
            #"{\#(Self.method),"parameters":{"cohort":"c","cases":[{"id":"x","persons":true}]}}"#,
            #"{\#(Self.method),"parameters":{"cohort":"c","cases":[]}"#,
        ]
        for text in others {
            #expect(Self.plain(text) == nil, "\(text)")
        }
        // Invalid UTF-8 in a string.
        var bytes = Array(#"{"parameters":{"cohort":"c?","cases":[]}}"#.utf8)
        bytes[bytes.firstIndex(of: UInt8(ascii: "?"))!] = 0xFF
        #expect(bytes.withUnsafeBytes { Wire.ImportCasesIn.plain($0) } == nil)
    }
}
