import GRDB
import GRDBSQLite

/// One of the writer's hot statements, with its arguments bound straight to
/// SQLite rather than through `StatementArguments`, whose boxing of each value
/// cost more than SQLite's own work on an import of a million cases.
///
/// The statement is still GRDB's cached one and runs through GRDB, which
/// keeps its transaction bookkeeping and turns failures into
/// `DatabaseError`. Bind every parameter before each `execute` or fetch.
struct BoundStatement {
    let statement: Statement
    private let handle: SQLiteStatement

    init(_ db: Database, sql: String) throws {
        statement = try db.cachedStatement(sql: sql)
        handle = statement.sqliteStatement
        // Resets, clears the bindings and marks the (no) arguments as bound, so
        // that GRDB runs the statement with the bindings made below.
        statement.setUncheckedArguments(StatementArguments())
    }

    func bind(_ value: String, at index: Int32) {
        var value = value
        let code = value.withUTF8 { bytes in
            let start = bytes.baseAddress ?? Self.emptyText.utf8Start
            return start.withMemoryRebound(to: CChar.self, capacity: max(bytes.count, 1)) {
                sqlite3_bind_text(handle, index, $0, Int32(bytes.count), Self.transient)
            }
        }
        precondition(code == SQLITE_OK, "binding text to a prepared statement failed (\(code))")
    }

    func bind(_ value: String?, at index: Int32) {
        if let value { bind(value, at: index) } else { bindNull(at: index) }
    }

    func bind(_ value: Int64, at index: Int32) {
        let code = sqlite3_bind_int64(handle, index, value)
        precondition(code == SQLITE_OK, "binding an integer to a prepared statement failed (\(code))")
    }

    func bind(_ value: Int, at index: Int32) { bind(Int64(value), at: index) }

    func bind(_ value: Int64?, at index: Int32) {
        if let value { bind(value, at: index) } else { bindNull(at: index) }
    }

    func bind(_ value: Int?, at index: Int32) { bind(value.map(Int64.init), at: index) }

    func bindNull(at index: Int32) {
        let code = sqlite3_bind_null(handle, index)
        precondition(code == SQLITE_OK, "binding NULL to a prepared statement failed (\(code))")
    }

    /// Runs the statement with the values bound.
    func execute() throws { try statement.execute() }

    /// Whether the query with the values bound returns a row.
    func returnsRow() throws -> Bool { try Bool.fetchOne(statement) != nil }

    private static let emptyText: StaticString = ""
    /// `SQLITE_TRANSIENT`: SQLite copies the text before the call returns.
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
}
