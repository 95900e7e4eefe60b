import CaseFileFormat

/// The first pass over a case file: every row checked, nothing kept but the
/// first errors and the ids seen (to find duplicates).
struct CaseFileCheck {
    static let errorsShown = 50

    var rows = 0
    var bytes = 0
    var errors: [RowError] = []
    var errorCount = 0
    var layout: CaseFileLayout?

    /// Reads the whole file; `states` (when known) are the pipeline's state names.
    static func run(path: String, states: Set<String>?, progress: inout ProgressBar) throws(CSVSyntaxError)
        -> CaseFileCheck
    {
        var check = CaseFileCheck()
        let reader = try CSVReader(path: path)
        guard let header = try reader.next() else {
            check.note(
                RowError(
                    file: path, line: 1, column: nil,
                    reason: "the file is empty; expected a header row id,persons,state,…"))
            return check
        }
        switch CaseFileLayout.parse(header, file: path) {
        case .valid(let layout): check.layout = layout
        case .invalid(let errors):
            for error in errors { check.note(error) }
            return check
        }
        let layout = check.layout!
        var ids: Set<String> = []
        // About one row per 32 bytes: growing a set of a million ids step by step costs more than the parse.
        ids.reserveCapacity(reader.fileSize / 32)
        do {
            while let record = try reader.next() {
                check.rows += 1
                switch layout.newCase(record, file: path, fromUnregistered: false) {
                case .valid(let row):
                    if !ids.insert(row.id).inserted {
                        check.note(
                            RowError(
                                file: path, line: record.line, column: "id",
                                reason: "case id \(row.id) appears twice in the file"))
                    }
                    if let state = row.state, let states, !states.contains(state) {
                        check.note(
                            RowError(
                                file: path, line: record.line, column: layout.columns[layout.stateColumn!],
                                reason: "the cohort's pipeline has no state \(RowRules.quoted(state))"))
                    }
                case .invalid(let errors):
                    for error in errors { check.note(error) }
                }
                progress.update(rows: check.rows, bytes: record.endOffset)
            }
        } catch {
            check.note(RowError(file: path, line: error.line, column: nil, reason: "not valid CSV: \(error.reason)"))
        }
        return check
    }

    private mutating func note(_ error: RowError) {
        errorCount += 1
        if errors.count < Self.errorsShown { errors.append(error) }
    }
}
