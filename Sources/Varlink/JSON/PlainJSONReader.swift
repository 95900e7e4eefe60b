/// Reads a plain subset of JSON straight from a message's bytes, for calls
/// sent so often (or so large) that `JSONDecoder` shows in the daemon's CPU
/// time. The subset: strings of valid UTF-8 without control characters and
/// without `\u` escapes (other escapes are read); integers without fraction
/// or exponent; `true`, `false`, `null`; objects and arrays of these.
///
/// Every method returns nil (or false) at the first byte outside the subset,
/// and its caller then leaves the message to `JSONDecoder`, which decodes
/// it (or names what is wrong with it). Whatever this reader takes,
/// `JSONDecoder` takes too and reads the same way; the fuzz target
/// `casetrack-fuzz-plain` holds the two to that.
public struct PlainJSONReader {
    private let bytes: UnsafeBufferPointer<UInt8>
    /// The offset of the next byte to read.
    private var index = 0

    public init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    public init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes.assumingMemoryBound(to: UInt8.self)
    }

    /// Only white space is left.
    public mutating func atEnd() -> Bool {
        skipSpace()
        return index == bytes.count
    }

    /// An object whose members `member` reads, given each key; false when
    /// the object or a member is outside the subset (or `member` says so).
    public mutating func object(_ member: (String, inout PlainJSONReader) -> Bool) -> Bool {
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

    /// An array whose elements `element` reads; false when the array or an
    /// element is outside the subset.
    public mutating func array(_ element: (inout PlainJSONReader) -> Bool) -> Bool {
        skipSpace()
        guard consume(UInt8(ascii: "[")) else { return false }
        skipSpace()
        if consume(UInt8(ascii: "]")) { return true }
        while true {
            guard element(&self) else { return false }
            skipSpace()
            if consume(UInt8(ascii: "]")) { return true }
            guard consume(UInt8(ascii: ",")) else { return false }
        }
    }

    /// Reads a member's value into `slot`, which must still be nil: a
    /// member repeated is outside the subset (JSONDecoder keeps the first).
    public mutating func once<Value>(_ slot: inout Value?, _ read: (inout PlainJSONReader) -> Value?) -> Bool {
        guard slot == nil, let value = read(&self) else { return false }
        slot = value
        return true
    }

    /// `null` as `.some(nil)`, else what `read` reads (`.some(value)`);
    /// nil when neither is there.
    public mutating func nullable<Value>(_ read: (inout PlainJSONReader) -> Value?) -> Value?? {
        if null() { return .some(nil) }
        return read(&self).map { .some($0) }
    }

    /// Any value in the subset, not kept; its objects' keys may repeat, as
    /// `JSONDecoder` allows in a value it skips.
    public mutating func skipValue() -> Bool {
        skipSpace()
        guard index < bytes.count else { return false }
        switch bytes[index] {
        case UInt8(ascii: "{"):
            return object { _, reader in reader.skipValue() }
        case UInt8(ascii: "["):
            return array { $0.skipValue() }
        case UInt8(ascii: "\""):
            return skipString()
        case UInt8(ascii: "t"):
            return literal("true")
        case UInt8(ascii: "f"):
            return literal("false")
        case UInt8(ascii: "n"):
            return literal("null")
        default:
            return integer() != nil
        }
    }

    /// Where the object at the reader is, skipped; nil when it is not an
    /// object in the subset.
    mutating func objectRange() -> Range<Int>? {
        skipSpace()
        let start = index
        guard index < bytes.count, bytes[index] == UInt8(ascii: "{"), skipValue() else { return nil }
        return start..<index
    }

    /// A string in valid UTF-8 without control characters; escapes other
    /// than `\u` are read too.
    public mutating func string() -> String? {
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
                guard let unescaped = unescape() else { return nil }
                text.append(unescaped)
            case 0..<0x20:
                return nil
            default:
                text.append(byte)
            }
        }
        return nil
    }

    /// The character an escape stands for, the escape's backslash just read.
    private mutating func unescape() -> UInt8? {
        guard index < bytes.count else { return nil }
        let escaped = bytes[index]
        index += 1
        switch escaped {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): return escaped
        case UInt8(ascii: "b"): return 0x08
        case UInt8(ascii: "f"): return 0x0C
        case UInt8(ascii: "n"): return 0x0A
        case UInt8(ascii: "r"): return 0x0D
        case UInt8(ascii: "t"): return 0x09
        default: return nil
        }
    }

    /// A string in valid UTF-8 without control characters, escapes other
    /// than `\u` allowed, not kept.
    private mutating func skipString() -> Bool {
        guard consume(UInt8(ascii: "\"")) else { return false }
        let start = index
        var ascii = true
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            switch byte {
            case UInt8(ascii: "\""):
                guard !ascii else { return true }
                let text = UnsafeBufferPointer(rebasing: bytes[start..<index - 1])
                return (try? UTF8Span(validating: text.span)) != nil
            case UInt8(ascii: "\\"): guard unescape() != nil else { return false }
            case 0..<0x20: return false
            case 0x80...: ascii = false
            default: continue
            }
        }
        return false
    }

    /// An integer as JSON writes it (no fraction, no exponent) that fits in an `Int`.
    public mutating func integer() -> Int? {
        skipSpace()
        let negative = consume(UInt8(ascii: "-"))
        let start = index
        var value = 0
        while index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") {
            let digit = Int(bytes[index] - UInt8(ascii: "0"))
            let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) =
                negative ? times10.subtractingReportingOverflow(digit) : times10.addingReportingOverflow(digit)
            guard !overflow1, !overflow2 else { return nil }
            value = sum
            index += 1
        }
        let digits = index - start
        guard digits > 0, digits == 1 || bytes[start] != UInt8(ascii: "0") else { return nil }
        if index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E"): return nil
            default: break
            }
        }
        return value
    }

    public mutating func bool() -> Bool? {
        skipSpace()
        if literal("true") { return true }
        if literal("false") { return false }
        return nil
    }

    public mutating func null() -> Bool {
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

/// Parameters a method reads with ``PlainJSONReader`` when they are plain,
/// sparing `JSONDecoder`; ``VarlinkCall/decodeParameters(_:)`` tries this first.
public protocol PlainDecodable: Decodable {
    /// Reads the parameters object at the reader; nil when it is outside the
    /// plain subset or not exactly what `JSONDecoder` would decode without
    /// complaint (an unknown or repeated member, a wrong type, a missing
    /// member), so that `JSONDecoder` decodes it instead and names what is wrong.
    init?(plain reader: inout PlainJSONReader)
}
