import Logging
import Testing

@testable import Systemd

@Suite("Journal field names and values")
struct JournalFieldTests {
    @Test(
        "metadata keys become valid journal field names",
        arguments: [
            ("case-id", "CASE_ID"),
            ("cohort", "COHORT"),
            ("fromState", "FROM_STATE"),
            ("toState", "TO_STATE"),
            ("requestID", "REQUEST_ID"),
            ("HTTPServer", "HTTP_SERVER"),
            ("ipv4Address", "IPV4_ADDRESS"),
            ("9lives", "X9LIVES"),
            ("_private", "X_PRIVATE"),
            ("__x", "X__X"),
            ("", "X"),
            ("größe", "GR__E"),
            ("a.b/c d", "A_B_C_D"),
            ("ALREADY_FINE", "ALREADY_FINE"),
            ("MESSAGE_ID", "MESSAGE_ID"),
            ("messageID", "MESSAGE_ID"),
        ])
    func names(key: String, expected: String) {
        #expect(JournalField.name(forMetadataKey: key) == expected)
    }

    @Test("every name is at most 64 characters of [A-Z0-9_], not starting with _ or a digit")
    func namesAreAlwaysValid() {
        let keys = [
            String(repeating: "longKey", count: 20), "_9", "0", "🙂", "x-",
            "é" + String(repeating: "a", count: 70),
        ]
        for key in keys {
            let name = JournalField.name(forMetadataKey: key)
            #expect(name.utf8.count <= 64, "\(key) → \(name)")
            #expect(
                name.utf8.allSatisfy { (65...90).contains($0) || (48...57).contains($0) || $0 == 95 },
                "\(key) → \(name)")
            #expect(name.first != "_" && !(name.first?.isNumber ?? true), "\(key) → \(name)")
        }
    }

    @Test("values are flattened to text; arrays and dictionaries as compact JSON")
    func values() {
        #expect(JournalField.text(for: "plain text") == "plain text")
        #expect(JournalField.text(for: .stringConvertible(42)) == "42")
        #expect(JournalField.text(for: ["a", "b \"c\""]) == #"["a","b \"c\""]"#)
        #expect(
            JournalField.text(for: ["z": "1", "a": ["x": "y"], "m": ["p", .stringConvertible(3)]])
                == #"{"a":{"x":"y"},"m":["p","3"],"z":"1"}"#)
        #expect(JournalField.text(for: ["line\nbreak\u{1}"]) == #"["line\nbreak\u0001"]"#)
    }

    @Test("MESSAGE_ID is normalised to 32 lowercase hex digits")
    func messageIDs() {
        #expect(
            JournalLogHandler.normalizedID128("2F7BE1D7-7799-4D22-B50F-49E1BF87FF57")
                == "2f7be1d777994d22b50f49e1bf87ff57")
        #expect(
            JournalLogHandler.normalizedID128("2f7be1d777994d22b50f49e1bf87ff57")
                == "2f7be1d777994d22b50f49e1bf87ff57")
        #expect(JournalLogHandler.normalizedID128("startup") == nil)
        #expect(JournalLogHandler.normalizedID128("2f7be1d777994d22b50f49e1bf87ff5") == nil)
        #expect(JournalLogHandler.normalizedID128("2f7be1d777994d22b50f49e1bf87ff5g") == nil)
    }

    @Test("a record's fields: the fixed ones first, metadata cannot overwrite them")
    func recordFields() {
        let event = LogEvent(
            level: .warning, message: "cohort full", metadata: nil, source: nil,
            file: "Daemon/Tracker.swift", function: "intake(_:)", line: 42)
        let fields = JournalLogHandler.fields(
            for: event,
            metadata: [
                "message": "sneaky", "priority": "0", "cohort": "afghans-pk",
                "MESSAGE_ID": "bc24a9ea-dd2d-4d4e-841c-e28bf204630a", "message-id-bad": "x",
            ],
            label: "casetrack.tracker", identifier: "casetrackd")
        #expect(
            fields.map { "\($0.name)=\($0.value)" } == [
                "MESSAGE=cohort full",
                "PRIORITY=4",
                "CODE_FILE=Daemon/Tracker.swift",
                "CODE_LINE=42",
                "CODE_FUNC=intake(_:)",
                "SYSLOG_IDENTIFIER=casetrackd",
                "LOGGER_LABEL=casetrack.tracker",
                "MESSAGE_ID=bc24a9eadd2d4d4e841ce28bf204630a",
                "COHORT=afghans-pk",
                "X_MESSAGE=sneaky",
                "MESSAGE_ID_BAD=x",
                "X_PRIORITY=0",
            ])
    }

    @Test("an invalid MESSAGE_ID is kept as X_MESSAGE_ID")
    func invalidMessageID() {
        let event = LogEvent(
            level: .info, message: "m", metadata: nil, source: nil, file: "f", function: "g", line: 1)
        let fields = JournalLogHandler.fields(
            for: event, metadata: ["MESSAGE_ID": "startup"], label: "l", identifier: "i")
        #expect(fields.last == JournalField("X_MESSAGE_ID", "startup"))
        #expect(!fields.contains { $0.name == "MESSAGE_ID" })
    }
}
