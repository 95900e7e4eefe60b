/// The daemon's rules for what a case may carry, checked locally so that a
/// bad file is refused before anything is sent.
public enum RowRules {
    public static let maxCaseIDLength = 64
    public static let maxKeyLength = 64
    public static let maxAttributes = 32
    public static let maxAttributeValueLength = 128
    public static let maxPersons = 1000

    /// Case ids: `[A-Za-z0-9][A-Za-z0-9._:/-]*`, up to 64 characters; nil when valid.
    public static func caseIDProblem(_ id: String) -> String? {
        let bytes = id.utf8
        guard let first = bytes.first else { return "is empty" }
        guard bytes.count <= maxCaseIDLength else { return "is longer than \(maxCaseIDLength) characters" }
        guard isAlnum(first) else { return "must start with a letter or digit" }
        guard bytes.allSatisfy({ isAlnum($0) || "._:/-".utf8.contains($0) }) else {
            return "may hold only letters, digits and . _ : / - (got \(quoted(id)))"
        }
        return nil
    }

    /// Attribute keys: `[A-Za-z][A-Za-z0-9_-]*`, up to 64 characters.
    public static func isValidAttributeKey(_ key: String) -> Bool {
        let bytes = key.utf8
        guard let first = bytes.first, bytes.count <= maxKeyLength, isAlpha(first) else { return false }
        return bytes.allSatisfy { isAlnum($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") }
    }

    /// Pipeline state names: `[a-z0-9][a-z0-9._-]*`.
    public static func isValidName(_ name: String) -> Bool {
        let bytes = name.utf8
        guard let first = bytes.first, bytes.count <= maxKeyLength, isLowerAlnum(first) else { return false }
        return bytes.allSatisfy { isLowerAlnum($0) || "._-".utf8.contains($0) }
    }

    /// Persons: an integer from 1 to 1000.
    public static func persons(_ text: String) -> Result<Int, RowProblem> {
        guard !text.isEmpty else { return .failure(RowProblem("is empty")) }
        guard text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }), let value = Int(text) else {
            return .failure(RowProblem("\(quoted(text)) is not a whole number"))
        }
        guard (1...maxPersons).contains(value) else {
            return .failure(RowProblem("\(value) is out of range 1…\(maxPersons)"))
        }
        return .success(value)
    }

    /// Free text: no control characters, at most `maxLength` bytes; nil when valid.
    public static func textProblem(_ text: String, maxLength: Int) -> String? {
        if text.utf8.count > maxLength { return "is longer than \(maxLength) bytes" }
        if text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            return "contains a control character (a tab, newline or similar)"
        }
        return nil
    }

    public static func quoted(_ text: String) -> String {
        let shown = text.count > 40 ? String(text.prefix(40)) + "…" : text
        return "\""
            + shown.unicodeScalars.map {
                $0.value < 0x20 || $0.value == 0x7F ? "\\u{\(String($0.value, radix: 16))}" : String($0)
            }.joined() + "\""
    }

    private static func isLowerAlnum(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
            || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
    }

    private static func isAlpha(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
            || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
    }

    private static func isAlnum(_ byte: UInt8) -> Bool {
        isAlpha(byte) || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
    }
}

/// Why one field of a row is refused.
public struct RowProblem: Error, Sendable {
    public var reason: String

    public init(_ reason: String) {
        self.reason = reason
    }
}
