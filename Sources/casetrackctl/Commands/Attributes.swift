import CaseFileFormat
import ArgumentParser

/// Parses repeated `--attr key=value` options into a map, or explains which
/// one is wrong (ArgumentParser exits 64).
enum AttributeOption {
    static func parse(_ pairs: [String]) throws -> [String: String] {
        var attributes: [String: String] = [:]
        for pair in pairs {
            guard let equals = pair.firstIndex(of: "=") else {
                throw ValidationError("--attr \(pair): expected key=value")
            }
            let key = String(pair[..<equals])
            let value = String(pair[pair.index(after: equals)...])
            guard RowRules.isValidAttributeKey(key) else {
                throw ValidationError("--attr \(pair): the key must match [A-Za-z][A-Za-z0-9_-]* (up to 64 characters)")
            }
            if let problem = RowRules.textProblem(value, maxLength: RowRules.maxAttributeValueLength) {
                throw ValidationError("--attr \(pair): the value \(problem)")
            }
            guard attributes.updateValue(value, forKey: key) == nil else {
                throw ValidationError("--attr \(key) is given twice")
            }
        }
        return attributes
    }
}
