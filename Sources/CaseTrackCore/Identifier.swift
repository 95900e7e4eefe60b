/// The rules for names and opaque references that come from outside.
///
/// Case ids are opaque references (an RSC case number, a file number): they
/// must never carry a person's name, so they are restricted to a charset in
/// which ids are written, not prose.
public enum Identifier {
    public static let maxNameLength = 64
    public static let maxCaseIDLength = 64
    public static let maxAttributes = 32
    public static let maxAttributeValueLength = 128
    public static let maxNoteLength = 1024
    public static let maxRequestIDLength = 128

    /// Pipeline, state, event, outcome and cohort names: `[a-z0-9][a-z0-9._-]*`.
    public static func isValidName(_ name: String) -> Bool {
        let bytes = name.utf8
        guard let first = bytes.first, bytes.count <= maxNameLength, isLowerAlnum(first) else { return false }
        return bytes.allSatisfy { isLowerAlnum($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") }
    }

    /// Case ids: `[A-Za-z0-9][A-Za-z0-9._:/-]*`, up to 64 characters.
    public static func isValidCaseID(_ id: String) -> Bool {
        let bytes = id.utf8
        guard let first = bytes.first, bytes.count <= maxCaseIDLength, isAlnum(first) else { return false }
        return bytes.allSatisfy {
            isAlnum($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".")
                || $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: "/")
        }
    }

    /// Attribute keys: `[A-Za-z][A-Za-z0-9_-]*`, up to 64 characters.
    public static func isValidAttributeKey(_ key: String) -> Bool {
        let bytes = key.utf8
        guard let first = bytes.first, bytes.count <= maxNameLength, isAlpha(first) else { return false }
        return bytes.allSatisfy { isAlnum($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") }
    }

    /// Free text (notes, titles, attribute values): no control characters.
    public static func isValidText(_ text: String, maxLength: Int) -> Bool {
        text.utf8.count <= maxLength && text.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value != 0x7F }
    }

    private static func isLowerAlnum(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
    }

    private static func isAlpha(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
    }

    private static func isAlnum(_ byte: UInt8) -> Bool {
        isAlpha(byte) || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
    }
}
