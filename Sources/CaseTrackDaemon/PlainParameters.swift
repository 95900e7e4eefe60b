import Varlink

// The parameters of the calls sent most often (and of imports, thousands of
// cases a call) read straight from their message when they have the plain
// shape `casetrackctl` and `casetrack-bench` send: only known members, each
// once, of the right types (see ``PlainJSONReader``). Anything else is left
// to JSONDecoder, which decodes it or names what is wrong. JSONDecoder took
// more of the daemon's time on a batch of thousands of cases than writing
// them; on a transition, about a twelfth.

extension Wire.ID: PlainDecodable {
    init?(plain reader: inout PlainJSONReader) {
        var id: String?
        let read = reader.object { key, reader in
            switch key {
            case "id": reader.once(&id) { $0.string() }
            default: false
            }
        }
        guard read, let id else { return nil }
        self.init(id: id)
    }
}

extension Wire.TransitionIn: PlainDecodable {
    init?(plain reader: inout PlainJSONReader) {
        var caseId: String?
        var event, to, expectedState, note, requestId: String??
        let read = reader.object { key, reader in
            switch key {
            case "caseId": reader.once(&caseId) { $0.string() }
            case "event": reader.once(&event) { $0.nullable { $0.string() } }
            case "to": reader.once(&to) { $0.nullable { $0.string() } }
            case "expectedState": reader.once(&expectedState) { $0.nullable { $0.string() } }
            case "note": reader.once(&note) { $0.nullable { $0.string() } }
            case "requestId": reader.once(&requestId) { $0.nullable { $0.string() } }
            default: false
            }
        }
        guard read, let caseId else { return nil }
        self.init(
            caseId: caseId, event: event ?? nil, to: to ?? nil, expectedState: expectedState ?? nil, note: note ?? nil,
            requestId: requestId ?? nil)
    }
}

extension Wire.MoveIn: PlainDecodable {
    init?(plain reader: inout PlainJSONReader) {
        var cohort, from: String?
        var persons: Int?
        var to, event, note, requestId: String??
        let read = reader.object { key, reader in
            switch key {
            case "cohort": reader.once(&cohort) { $0.string() }
            case "from": reader.once(&from) { $0.string() }
            case "persons": reader.once(&persons) { $0.integer() }
            case "to": reader.once(&to) { $0.nullable { $0.string() } }
            case "event": reader.once(&event) { $0.nullable { $0.string() } }
            case "note": reader.once(&note) { $0.nullable { $0.string() } }
            case "requestId": reader.once(&requestId) { $0.nullable { $0.string() } }
            default: false
            }
        }
        guard read, let cohort, let from, let persons else { return nil }
        self.init(
            cohort: cohort, from: from, to: to ?? nil, event: event ?? nil, persons: persons, note: note ?? nil,
            requestId: requestId ?? nil)
    }
}

extension Wire.ImportCasesIn: PlainDecodable {
    init?(plain reader: inout PlainJSONReader) {
        var cohort: String?
        var cases: [Wire.NewCaseIn]?
        var requestId: String??
        let read = reader.object { key, reader in
            switch key {
            case "cohort": reader.once(&cohort) { $0.string() }
            case "cases": reader.once(&cases) { $0.newCases() }
            case "requestId": reader.once(&requestId) { $0.nullable { $0.string() } }
            default: false
            }
        }
        guard read, let cohort, let cases else { return nil }
        self.init(cohort: cohort, cases: cases, requestId: requestId ?? nil)
    }
}

extension Wire.NewCaseIn {
    init?(plain reader: inout PlainJSONReader) {
        var id: String?
        var persons: Int?
        var state: String??
        var attributes: [String: String]??
        var fromUnregistered: Bool??
        let read = reader.object { key, reader in
            switch key {
            case "id": reader.once(&id) { $0.string() }
            case "persons": reader.once(&persons) { $0.integer() }
            case "state": reader.once(&state) { $0.nullable { $0.string() } }
            case "attributes": reader.once(&attributes) { $0.nullable { $0.attributes() } }
            case "fromUnregistered": reader.once(&fromUnregistered) { $0.nullable { $0.bool() } }
            default: false
            }
        }
        guard read, let id, let persons else { return nil }
        self.init(
            id: id, persons: persons, state: state ?? nil, attributes: attributes ?? nil,
            fromUnregistered: fromUnregistered ?? nil)
    }
}

extension PlainJSONReader {
    fileprivate mutating func newCases() -> [Wire.NewCaseIn]? {
        var cases: [Wire.NewCaseIn] = []
        let read = array { reader in
            guard let newCase = Wire.NewCaseIn(plain: &reader) else { return false }
            cases.append(newCase)
            return true
        }
        return read ? cases : nil
    }

    fileprivate mutating func attributes() -> [String: String]? {
        var attributes: [String: String] = [:]
        let read = object { key, reader in
            guard attributes[key] == nil, let value = reader.string() else { return false }
            attributes[key] = value
            return true
        }
        return read ? attributes : nil
    }
}
