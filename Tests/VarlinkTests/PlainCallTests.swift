import Foundation
import Testing

@testable import Varlink

/// The server reads a call's header with `PlainJSONReader` when the message
/// is plain, and leaves every other message to JSONDecoder.
@Suite("Reading plain call headers")
struct PlainCallTests {
    static func read(_ text: String) -> PlainCall? {
        Array(text.utf8).withUnsafeBytes { PlainCall.read($0) }
    }

    static func decoded(_ text: String) -> CallHeader? {
        try? JSONDecoder().decode(CallHeader.self, from: Data(text.utf8))
    }

    @Test("plain headers read as JSONDecoder reads them; the parameters object is found")
    func plainHeaders() throws {
        let calls = [
            #"{"method":"org.varlink.service.GetInfo"}"#,
            #"{"method":"a.b.C","parameters":null,"more":null,"oneway":false}"#,
            #" { "parameters" : { "x" : [ 1 , -2 , { "y" : "z" , "y" : null } ] } , "more" : true , "method" : "a.b.C" } "#,
            #"{"method":"a.b.C","upgrade":true,"future":{"nested":["ok", "é", true, false]},"parameters":{}}"#,
            #"{"method":"a.b.\/C\n"}"#,
        ]
        for text in calls {
            let plain = try #require(Self.read(text), "\(text)")
            #expect(plain.header == Self.decoded(text), "\(text)")
        }
        let text = #"{"method":"a.b.C","parameters": {"id":"x"} ,"oneway":true}"#
        let range = try #require(Self.read(text)?.parameters)
        #expect(String(decoding: Array(text.utf8)[range], as: UTF8.self) == #"{"id":"x"}"#)
        #expect(Self.read(#"{"method":"a.b.C","parameters":null}"#)?.parameters == nil)
    }

    @Test("repeats, other types, \\u escapes, fractions and broken text are left to JSONDecoder")
    func leftToJSONDecoder() {
        let others = [
            #"{"method":"a","method":"b"}"#,
            #"{"method":"a","parameters":{},"parameters":{}}"#,
            #"{"method":"a","more":1}"#,
            #"{"method":"a","parameters":[]}"#,
            #"{"method":"a","parameters":"x"}"#,
            #"{"method":"a\u0041"}"#,
            #"{"method":"a","x":"\ud800"}"#,
            #"{"method":"a","x":1.5}"#,
            #"{"method":"a","x":1e3}"#,
            #"{"method":"a"} {"#,
            #"{"method":"a",}"#,
            #"{"more":true}"#,
            #"["method"]"#,
            "{\"method\":\"a\tb\"}",
            "",
        ]
        for text in others {
            #expect(Self.read(text) == nil, "\(text)")
        }
        var bytes = Array(#"{"method":"a","x":"?"}"#.utf8)
        bytes[bytes.firstIndex(of: UInt8(ascii: "?"))!] = 0xC3
        #expect(bytes.withUnsafeBytes { PlainCall.read($0) } == nil)
    }
}
