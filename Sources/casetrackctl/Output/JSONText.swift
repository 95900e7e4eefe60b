import Varlink

/// JSON text of a `JSONValue` with sorted keys: pretty (two-space indent,
/// `"key": value`) or compact on one line.
enum JSONText {
    static func pretty(_ value: JSONValue) -> String {
        var text = ""
        write(value, into: &text, indent: 0, pretty: true)
        return text
    }

    static func compact(_ value: JSONValue) -> String {
        var text = ""
        write(value, into: &text, indent: 0, pretty: false)
        return text
    }

    private static func write(_ value: JSONValue, into text: inout String, indent: Int, pretty: Bool) {
        switch value {
        case .null: text += "null"
        case .bool(let flag): text += flag ? "true" : "false"
        case .int(let integer): text += String(integer)
        case .double(let double): text += double.isFinite ? "\(double)" : "null"
        case .string(let string): writeString(string, into: &text)
        case .array(let elements):
            guard !elements.isEmpty else {
                text += "[]"
                return
            }
            text += "["
            for (index, element) in elements.enumerated() {
                if index > 0 { text += "," }
                newline(&text, indent: indent + 1, pretty: pretty)
                write(element, into: &text, indent: indent + 1, pretty: pretty)
            }
            newline(&text, indent: indent, pretty: pretty)
            text += "]"
        case .object(let members):
            guard !members.isEmpty else {
                text += "{}"
                return
            }
            text += "{"
            for (index, key) in members.keys.sorted().enumerated() {
                if index > 0 { text += "," }
                newline(&text, indent: indent + 1, pretty: pretty)
                writeString(key, into: &text)
                text += pretty ? ": " : ":"
                write(members[key]!, into: &text, indent: indent + 1, pretty: pretty)
            }
            newline(&text, indent: indent, pretty: pretty)
            text += "}"
        }
    }

    private static func newline(_ text: inout String, indent: Int, pretty: Bool) {
        guard pretty else { return }
        text += "\n" + String(repeating: "  ", count: indent)
    }

    private static func writeString(_ string: String, into text: inout String) {
        text += "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": text += "\\\""
            case "\\": text += "\\\\"
            case "\n": text += "\\n"
            case "\r": text += "\\r"
            case "\t": text += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    let hex = String(scalar.value, radix: 16)
                    text += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    text.unicodeScalars.append(scalar)
                }
            }
        }
        text += "\""
    }
}
