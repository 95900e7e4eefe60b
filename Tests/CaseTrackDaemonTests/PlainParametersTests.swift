import Foundation
import Testing

@testable import CaseTrackDaemon
@testable import Varlink

/// Parameters in the plain shape `casetrackctl` and `casetrack-bench` send
/// (import batches, transitions, moves, cohort reads) are read without
/// JSONDecoder; whatever the shortcut reads must be what JSONDecoder reads,
/// and anything else must be left to JSONDecoder.
@Suite("Reading plain parameters")
struct PlainParametersTests {
    struct Envelope<T: Decodable>: Decodable {
        var parameters: T
    }

    /// The parameters of a whole call message as the server and the daemon read them plainly.
    static func plain<T: PlainDecodable>(_ text: String, as type: T.Type = Wire.ImportCasesIn.self) -> T? {
        plain(Array(text.utf8), as: type)
    }

    static func plain<T: PlainDecodable>(_ message: [UInt8], as type: T.Type = Wire.ImportCasesIn.self) -> T? {
        message.withUnsafeBytes { bytes -> T? in
            guard let range = PlainCall.read(bytes)?.parameters else { return nil }
            var reader = PlainJSONReader(UnsafeRawBufferPointer(rebasing: bytes[range]))
            guard let value = T(plain: &reader), reader.atEnd() else { return nil }
            return value
        }
    }

    static func decoded<T: Decodable>(_ text: String, as type: T.Type = Wire.ImportCasesIn.self) -> T? {
        try? JSONDecoder().decode(Envelope<T>.self, from: Data(text.utf8)).parameters
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
        var bytes = Array(#"{"method":"m","parameters":{"cohort":"c?","cases":[]}}"#.utf8)
        bytes[bytes.firstIndex(of: UInt8(ascii: "?"))!] = 0xFF
        #expect(Self.plain(bytes) == nil)
        #expect(bytes.withUnsafeBytes { PlainCall.read($0) } == nil)
    }

    @Test("transitions, moves and cohort reads as clients send them read the same as JSONDecoder reads them")
    func plainCalls() throws {
        let transitions = [
            #"{"method":"io.casetrack.Tracker.Transition","parameters":{"caseId":"AFG-2023-000017","to":"interview-scheduled"}}"#,
            #"{"parameters":{"requestId":"r\/1","note":"در انتظار مصاحبه","expectedState":"prescreened","event":null,"caseId":"A"},"method":"m","more":false}"#,
            #"{"method":"m","parameters":{"caseId":"A","event":"schedule","to":null,"expectedState":null,"note":"a\nb","requestId":null}}"#,
        ]
        for text in transitions {
            let plain = try #require(Self.plain(text, as: Wire.TransitionIn.self), "\(text)")
            #expect(plain == Self.decoded(text, as: Wire.TransitionIn.self), "\(text)")
        }
        let move = #"{"method":"m","parameters":{"cohort":"afghans-pk","from":"referred","to":"prescreened","persons":1200,"note":"RSC batch 14","event":null}}"#
        let plainMove = try #require(Self.plain(move, as: Wire.MoveIn.self))
        #expect(plainMove == Self.decoded(move, as: Wire.MoveIn.self))
        #expect(plainMove.persons == 1200)
        let read = #"{"method":"io.casetrack.Tracker.DescribeCohort","parameters":{"id":"afghans-pk"}}"#
        #expect(Self.plain(read, as: Wire.ID.self) == Wire.ID(id: "afghans-pk"))
    }

    @Test("a wrong type, a missing or unknown member and escapes are left to JSONDecoder")
    func callsLeftToJSONDecoder() {
        let transitions = [
            #"{"method":"m","parameters":{"caseId":1}}"#,
            #"{"method":"m","parameters":{"to":"x"}}"#,
            #"{"method":"m","parameters":{"caseId":"A","colour":"red"}}"#,
            #"{"method":"m","parameters":{"caseId":"A","caseId":"B"}}"#,
            #"{"method":"m","parameters":{"caseId":"A","note":"\u0041"}}"#,
            #"{"method":"m","parameters":{"caseId":"A","note":["x"]}}"#,
        ]
        for text in transitions {
            #expect(Self.plain(text, as: Wire.TransitionIn.self) == nil, "\(text)")
        }
        #expect(Self.plain(#"{"method":"m","parameters":{"cohort":"c","from":"a","persons":"1"}}"#, as: Wire.MoveIn.self) == nil)
        #expect(Self.plain(#"{"method":"m","parameters":{"id":null}}"#, as: Wire.ID.self) == nil)
    }
}
