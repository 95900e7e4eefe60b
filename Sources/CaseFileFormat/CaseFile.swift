/// A case as `ImportCases` takes it.
public struct NewCase: Encodable, Equatable, Sendable {
    public var id: String
    public var persons: Int
    public var state: String?
    public var attributes: [String: String]?
    public var fromUnregistered: Bool?

    public init(
        id: String, persons: Int, state: String? = nil, attributes: [String: String]? = nil,
        fromUnregistered: Bool? = nil
    ) {
        self.id = id
        self.persons = persons
        self.state = state
        self.attributes = attributes
        self.fromUnregistered = fromUnregistered
    }
}

/// A row (or header) read, or every problem with it.
public enum RowCheck<Value> {
    case valid(Value)
    case invalid([RowError])
}

/// One bad row: where, which column, why.
public struct RowError: Error, CustomStringConvertible, Sendable {
    public var file: String
    public var line: Int
    public var column: String?
    public var reason: String

    public init(file: String, line: Int, column: String?, reason: String) {
        self.file = file
        self.line = line
        self.column = column
        self.reason = reason
    }

    public var description: String {
        if let column { return "\(file):\(line): column \(column): \(reason)" }
        return "\(file):\(line): \(reason)"
    }
}

/// The layout of a case file, from its header row: `id,persons,state,<attributes…>`
/// (`state` may be left out; the columns may come in any order).
public struct CaseFileLayout: Sendable {
    public var columns: [String]
    public var idColumn: Int
    public var personsColumn: Int
    public var stateColumn: Int?
    /// Attribute columns: index and key.
    public var attributeColumns: [(index: Int, key: String)]

    /// Reads the header row; every problem with it is returned.
    public static func parse(_ header: CSVRecord, file: String) -> RowCheck<CaseFileLayout> {
        var errors: [RowError] = []
        var columns = header.fields
        if let first = columns.first, first.hasPrefix("\u{FEFF}") {
            columns[0] = String(first.dropFirst())  // a byte-order mark, as spreadsheets write
        }
        var seen: Set<String> = []
        var id: Int?
        var persons: Int?
        var state: Int?
        var attributes: [(Int, String)] = []
        for (index, name) in columns.enumerated() {
            func fail(_ reason: String) {
                errors.append(RowError(file: file, line: header.line, column: "\(index + 1)", reason: reason))
            }
            guard seen.insert(name).inserted else {
                fail("the header names \(RowRules.quoted(name)) twice")
                continue
            }
            switch name {
            case "id": id = index
            case "persons": persons = index
            case "state": state = index
            default:
                if RowRules.isValidAttributeKey(name) {
                    attributes.append((index, name))
                } else {
                    fail(
                        "header \(RowRules.quoted(name)) is not an attribute key ([A-Za-z][A-Za-z0-9_-]*, up to 64 characters)"
                    )
                }
            }
        }
        if id == nil || persons == nil {
            errors.append(
                RowError(
                    file: file, line: header.line, column: nil,
                    reason:
                        "the header row must name the columns id and persons (and optionally state, then attributes), e.g. id,persons,state,province"
                ))
        }
        if attributes.count > RowRules.maxAttributes {
            errors.append(
                RowError(
                    file: file, line: header.line, column: nil,
                    reason: "\(attributes.count) attribute columns; a case may carry at most \(RowRules.maxAttributes)")
            )
        }
        guard errors.isEmpty, let id, let persons else { return .invalid(errors) }
        return .valid(
            CaseFileLayout(
                columns: columns, idColumn: id, personsColumn: persons, stateColumn: state,
                attributeColumns: attributes.map { (index: $0.0, key: $0.1) }))
    }

    /// The case a data row describes, or every problem with it.
    public func newCase(_ record: CSVRecord, file: String, fromUnregistered: Bool) -> RowCheck<NewCase> {
        guard record.fields.count == columns.count else {
            return .invalid([
                RowError(
                    file: file, line: record.line, column: nil,
                    reason: "\(record.fields.count) columns where the header has \(columns.count)")
            ])
        }
        var errors: [RowError] = []
        func fail(_ column: Int, _ reason: String) {
            errors.append(RowError(file: file, line: record.line, column: columns[column], reason: reason))
        }
        let id = record.fields[idColumn]
        if let problem = RowRules.caseIDProblem(id) { fail(idColumn, "case id \(problem)") }
        var persons = 0
        switch RowRules.persons(record.fields[personsColumn]) {
        case .success(let value): persons = value
        case .failure(let problem): fail(personsColumn, problem.reason)
        }
        var state: String?
        if let stateColumn, !record.fields[stateColumn].isEmpty {
            state = record.fields[stateColumn]
            if !RowRules.isValidName(state!) {
                fail(stateColumn, "\(RowRules.quoted(state!)) is not a state name ([a-z0-9][a-z0-9._-]*)")
            }
        }
        var attributes: [String: String] = [:]
        for (index, key) in attributeColumns {
            let value = record.fields[index]
            guard !value.isEmpty else { continue }
            if let problem = RowRules.textProblem(value, maxLength: RowRules.maxAttributeValueLength) {
                fail(index, "the value \(problem)")
            } else {
                attributes[key] = value
            }
        }
        guard errors.isEmpty else { return .invalid(errors) }
        return .valid(
            NewCase(
                id: id, persons: persons, state: state, attributes: attributes.isEmpty ? nil : attributes,
                fromUnregistered: fromUnregistered ? true : nil))
    }
}
