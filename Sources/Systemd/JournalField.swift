public import Logging

/// One `NAME=value` pair of a journal entry.
///
/// Names follow the journal's rules for fields a client may set: only `A–Z`, `0–9` and `_`,
/// not starting with `_` (those are the journal's trusted fields) or a digit, at most 64
/// characters. ``name(forMetadataKey:)`` turns any swift-log metadata key into such a name.
public struct JournalField: Sendable, Hashable {
    /// The field name, already valid for the journal.
    public let name: String
    /// The field value; may contain newlines.
    public let value: String

    init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }

    /// The longest field name the journal accepts.
    public static let maximumNameLength = 64

    /// The journal field name for a metadata key.
    ///
    /// Upper-cases the key, splits camel case (`fromState` → `FROM_STATE`), replaces every
    /// other character outside `[A-Z0-9_]` with `_` (`case-id` → `CASE_ID`), prefixes `X` to a
    /// name that would start with `_` or a digit (`_private` → `X_PRIVATE`, `9lives` →
    /// `X9LIVES`), and cuts the result to 64 characters. An empty key becomes `X`.
    public static func name(forMetadataKey key: String) -> String {
        let scalars = Array(key.unicodeScalars)
        var name = ""
        name.reserveCapacity(scalars.count + 4)
        for (index, scalar) in scalars.enumerated() {
            guard isASCIILetterOrDigit(scalar) else {
                name.append("_")
                continue
            }
            if isASCIIUppercase(scalar), index > 0, !name.hasSuffix("_") {
                let previous = scalars[index - 1]
                let next = index + 1 < scalars.count ? scalars[index + 1] : nil
                let endsLowercaseWord = isASCIILowercase(previous) || isASCIIDigit(previous)
                let endsAcronym = isASCIIUppercase(previous) && next.map(isASCIILowercase) == true
                if endsLowercaseWord || endsAcronym {
                    name.append("_")
                }
            }
            name.unicodeScalars.append(
                isASCIILowercase(scalar) ? Unicode.Scalar(scalar.value - 32)! : scalar)
        }
        if name.isEmpty || name.hasPrefix("_") || name.unicodeScalars.first.map(isASCIIDigit) == true {
            name = "X" + name
        }
        if name.utf8.count > maximumNameLength {
            name = String(name.prefix(maximumNameLength))
        }
        return name
    }

    /// A metadata value as the text of one journal field.
    ///
    /// Strings and string-convertible values are used as they are; arrays and dictionaries
    /// become compact JSON (dictionary keys sorted), so nested values stay unambiguous.
    public static func text(for value: Logger.MetadataValue) -> String {
        switch value {
        case .string(let string):
            return string
        case .stringConvertible(let convertible):
            return convertible.description
        case .array, .dictionary:
            var json = ""
            appendJSON(value, to: &json)
            return json
        }
    }

    private static func isASCIIDigit(_ scalar: Unicode.Scalar) -> Bool {
        ("0"..."9").contains(scalar)
    }

    private static func isASCIILowercase(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar)
    }

    private static func isASCIIUppercase(_ scalar: Unicode.Scalar) -> Bool {
        ("A"..."Z").contains(scalar)
    }

    private static func isASCIILetterOrDigit(_ scalar: Unicode.Scalar) -> Bool {
        isASCIIDigit(scalar) || isASCIILowercase(scalar) || isASCIIUppercase(scalar)
    }

    private static func appendJSON(_ value: Logger.MetadataValue, to json: inout String) {
        switch value {
        case .string(let string):
            appendJSONString(string, to: &json)
        case .stringConvertible(let convertible):
            appendJSONString(convertible.description, to: &json)
        case .array(let values):
            json.append("[")
            for (index, element) in values.enumerated() {
                if index > 0 { json.append(",") }
                appendJSON(element, to: &json)
            }
            json.append("]")
        case .dictionary(let dictionary):
            json.append("{")
            for (index, entry) in dictionary.sorted(by: { $0.key < $1.key }).enumerated() {
                if index > 0 { json.append(",") }
                appendJSONString(entry.key, to: &json)
                json.append(":")
                appendJSON(entry.value, to: &json)
            }
            json.append("}")
        }
    }

    /// Appends `string` as a JSON string literal (RFC 8259 escaping).
    static func appendJSONString(_ string: String, to json: inout String) {
        json.append("\"")
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": json.append("\\\"")
            case "\\": json.append("\\\\")
            case "\n": json.append("\\n")
            case "\r": json.append("\\r")
            case "\t": json.append("\\t")
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                json.append("\\u" + String(repeating: "0", count: 4 - hex.count) + hex)
            default:
                json.unicodeScalars.append(scalar)
            }
        }
        json.append("\"")
    }
}
