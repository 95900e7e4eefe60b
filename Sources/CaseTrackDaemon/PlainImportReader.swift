extension Wire.ImportCasesIn {
    /// The parameters of an `ImportCases` call read straight from its message
    /// when it has the plain shape `casetrackctl import` sends: only known
    /// members, each once; strings without escapes; integers. Nil for anything
    /// else, which `JSONDecoder` then decodes (and, when it is wrong, names
    /// what is wrong). On a batch of thousands of cases, `JSONDecoder` cost
    /// the daemon more than writing the cases.
    static func plain(_ message: UnsafeRawBufferPointer) -> Wire.ImportCasesIn? {
        var reader = PlainJSONReader(message.assumingMemoryBound(to: UInt8.self))
        return reader.importCall()
    }
}

/// Reads the plain subset of JSON described at ``Wire/ImportCasesIn/plain(_:)``;
/// every method returns nil (or false) at the first byte outside it.
struct PlainJSONReader {
    private let bytes: UnsafeBufferPointer<UInt8>
    private var index = 0

    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    /// `{"method": …, "parameters": {…}, …}` with nothing after it.
    mutating func importCall() -> Wire.ImportCasesIn? {
        var parameters: Wire.ImportCasesIn?
        let read = object { key, reader in
            if key == "parameters" {
                guard parameters == nil, let value = reader.importParameters() else { return false }
                parameters = value
                return true
            }
            return reader.skipScalar()
        }
        skipSpace()
        guard read, index == bytes.count else { return nil }
        return parameters
    }

    private mutating func importParameters() -> Wire.ImportCasesIn? {
        var cohort: String?
        var cases: [Wire.NewCaseIn]?
        var requestId: String??
        let read = object { key, reader in
            switch key {
            case "cohort":
                guard cohort == nil, let value = reader.string() else { return false }
                cohort = value
            case "cases":
                guard cases == nil, let value = reader.cases() else { return false }
                cases = value
            case "requestId":
                guard requestId == nil, let value = reader.nullable({ $0.string() }) else { return false }
                requestId = value
            default:
                return false
            }
            return true
        }
        guard read, let cohort, let cases else { return nil }
        return Wire.ImportCasesIn(cohort: cohort, cases: cases, requestId: requestId ?? nil)
    }

    private mutating func cases() -> [Wire.NewCaseIn]? {
        skipSpace()
        guard consume(UInt8(ascii: "[")) else { return nil }
        var cases: [Wire.NewCaseIn] = []
        skipSpace()
        if consume(UInt8(ascii: "]")) { return cases }
        while true {
            guard let newCase = newCase() else { return nil }
            cases.append(newCase)
            skipSpace()
            if consume(UInt8(ascii: "]")) { return cases }
            guard consume(UInt8(ascii: ",")) else { return nil }
        }
    }

    private mutating func newCase() -> Wire.NewCaseIn? {
        var id: String?
        var persons: Int?
        var state: String??
        var attributes: [String: String]??
        var fromUnregistered: Bool??
        let read = object { key, reader in
            switch key {
            case "id":
                guard id == nil, let value = reader.string() else { return false }
                id = value
            case "persons":
                guard persons == nil, let value = reader.integer() else { return false }
                persons = value
            case "state":
                guard state == nil, let value = reader.nullable({ $0.string() }) else { return false }
                state = value
            case "attributes":
                guard attributes == nil, let value = reader.nullable({ $0.attributes() }) else { return false }
                attributes = value
            case "fromUnregistered":
                guard fromUnregistered == nil, let value = reader.nullable({ $0.bool() }) else { return false }
                fromUnregistered = value
            default:
                return false
            }
            return true
        }
        guard read, let id, let persons else { return nil }
        return Wire.NewCaseIn(
            id: id, persons: persons, state: state ?? nil, attributes: attributes ?? nil,
            fromUnregistered: fromUnregistered ?? nil)
    }

    private mutating func attributes() -> [String: String]? {
        var attributes: [String: String] = [:]
        let read = object { key, reader in
            guard attributes[key] == nil, let value = reader.string() else { return false }
            attributes[key] = value
            return true
        }
        return read ? attributes : nil
    }

    /// An object whose members `member` reads, given each key; false when
    /// the object or a member is outside the subset.
    private mutating func object(_ member: (String, inout PlainJSONReader) -> Bool) -> Bool {
        skipSpace()
        guard consume(UInt8(ascii: "{")) else { return false }
        skipSpace()
        if consume(UInt8(ascii: "}")) { return true }
        while true {
            guard let key = string() else { return false }
            skipSpace()
            guard consume(UInt8(ascii: ":")), member(key, &self) else { return false }
            skipSpace()
            if consume(UInt8(ascii: "}")) { return true }
            guard consume(UInt8(ascii: ",")) else { return false }
        }
    }

    /// `null` as `.some(nil)`, else what `read` reads (`.some(value)`);
    /// nil when neither is there.
    private mutating func nullable<Value>(_ read: (inout PlainJSONReader) -> Value?) -> Value?? {
        if null() { return .some(nil) }
        return read(&self).map { .some($0) }
    }

    /// A string, a boolean or null (the other members of a call).
    private mutating func skipScalar() -> Bool {
        if null() || bool() != nil { return true }
        return string() != nil
    }

    /// A string in valid UTF-8 without control characters; escapes other
    /// than `\u` (which JSONEncoder writes for "/" and quotes) are read too.
    private mutating func string() -> String? {
        skipSpace()
        guard consume(UInt8(ascii: "\"")) else { return nil }
        let start = index
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let text = String(validating: bytes[start..<index], as: UTF8.self)
                index += 1
                return text
            }
            if byte == UInt8(ascii: "\\") { return escapedString(from: start) }
            if byte < 0x20 { return nil }
            index += 1
        }
        return nil
    }

    /// The rest of a string that has escapes, from its first character at `start`.
    private mutating func escapedString(from start: Int) -> String? {
        var text = Array(bytes[start..<index])
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            switch byte {
            case UInt8(ascii: "\""):
                return String(validating: text, as: UTF8.self)
            case UInt8(ascii: "\\"):
                guard index < bytes.count else { return nil }
                let escaped = bytes[index]
                index += 1
                switch escaped {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): text.append(escaped)
                case UInt8(ascii: "b"): text.append(0x08)
                case UInt8(ascii: "f"): text.append(0x0C)
                case UInt8(ascii: "n"): text.append(0x0A)
                case UInt8(ascii: "r"): text.append(0x0D)
                case UInt8(ascii: "t"): text.append(0x09)
                default: return nil
                }
            case 0..<0x20:
                return nil
            default:
                text.append(byte)
            }
        }
        return nil
    }

    /// An integer as JSON writes it (no fraction, no exponent) that fits in an `Int`.
    private mutating func integer() -> Int? {
        skipSpace()
        let negative = consume(UInt8(ascii: "-"))
        let start = index
        var value = 0
        while index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") {
            let digit = Int(bytes[index] - UInt8(ascii: "0"))
            let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = negative ? times10.subtractingReportingOverflow(digit) : times10.addingReportingOverflow(digit)
            guard !overflow1, !overflow2 else { return nil }
            value = sum
            index += 1
        }
        let digits = index - start
        guard digits > 0, digits == 1 || bytes[start] != UInt8(ascii: "0") else { return nil }
        if index < bytes.count, [UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E")].contains(bytes[index]) {
            return nil
        }
        return value
    }

    private mutating func bool() -> Bool? {
        skipSpace()
        if literal("true") { return true }
        if literal("false") { return false }
        return nil
    }

    private mutating func null() -> Bool {
        skipSpace()
        return literal("null")
    }

    private mutating func literal(_ word: StaticString) -> Bool {
        let count = word.utf8CodeUnitCount
        guard index + count <= bytes.count else { return false }
        for offset in 0..<count where bytes[index + offset] != word.utf8Start[offset] { return false }
        index += count
        return true
    }

    private mutating func consume(_ byte: UInt8) -> Bool {
        guard index < bytes.count, bytes[index] == byte else { return false }
        index += 1
        return true
    }

    private mutating func skipSpace() {
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "\t"): index += 1
            default: return
            }
        }
    }
}
