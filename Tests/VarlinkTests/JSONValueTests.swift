import Foundation
import Testing
import Varlink

@Suite struct JSONValueTests {
    @Test func integersAndDoublesStayApart() throws {
        let text = #"{"big":9223372036854775807,"small":-3,"half":0.5,"huge":1e300,"list":[1,"a",true,null]}"#
        let value = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
        #expect(value["big"] == .int(Int64.max))
        #expect(value["small"] == .int(-3))
        #expect(value["half"] == .double(0.5))
        #expect(value["huge"] == .double(1e300))
        #expect(value["list"] == [1, "a", true, nil])
        let again = try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(value))
        #expect(again == value)
    }

    @Test func encodesAndDecodesCodableValues() throws {
        let item = TestInterface.Item(name: "household", count: 6)
        let value = try JSONValue(encoding: item)
        #expect(value == ["name": "household", "count": 6])
        #expect(try value.decode(as: TestInterface.Item.self) == item)
        #expect(value.description == #"{"count":6,"name":"household"}"#)
    }

    @Test func varlinkErrorsCarryTheirParameters() throws {
        let error = try VarlinkError(name: "org.example.test.Failed", encoding: TestInterface.Reason(reason: "quota"))
        #expect(error.parameters == ["reason": "quota"])
        #expect(try error.decodeParameters(TestInterface.Reason.self).reason == "quota")
        #expect(
            VarlinkError.invalidParameter("persons").description
                == #"org.varlink.service.InvalidParameter(parameter: "persons")"#)
    }
}

/// An interface can be exercised without a socket.
@Suite struct InterfaceWithoutSocketTests {
    @Test func aCallCanBeMadeAndItsRepliesCaptured() async throws {
        let call = try VarlinkCall(
            method: "org.example.test.Count", parameters: TestInterface.UpTo(upTo: 3), more: true)
        let capture = VarlinkReplyCapture()
        try await TestInterface().handle(
            call,
            peer: VarlinkPeer(uid: 0, gid: 0, pid: 1),
            replies: VarlinkReplyWriter(capturingInto: capture, for: call)
        )
        #expect(capture.replies.map(\.continues) == [true, true, false])
        #expect(capture.replies.last?.result == .success(["value": 3]))
    }

    @Test func decodingParametersNamesTheOffendingOne() throws {
        let call = try VarlinkCall(method: "org.example.test.Echo", parameters: ["text": 1] as JSONValue)
        #expect(throws: VarlinkError.invalidParameter("text")) {
            try call.decodeParameters(TestInterface.Echo.self)
        }
        #expect(call.interface == "org.example.test")
        #expect(call.methodName == "Echo")
    }
}
