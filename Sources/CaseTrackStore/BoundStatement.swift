import GRDB
import GRDBSQLite

/// One of the writer's hot statements, run straight through SQLite's C
/// interface: on an import of a million cases, GRDB's boxing of arguments
/// (`StatementArguments`) and its cursors cost more than SQLite's own work.
///
/// The prepared statement is GRDB's cached one, kept by the writer's
/// `StatementCache` until the writer stops. Only for the writer's own
/// statements (no other code runs the same SQL through GRDB), inside its
/// write access; bind every
/// parameter before each `execute` or `returnsRow`. A failure throws the
/// `DatabaseError` GRDB would have thrown; nothing else of GRDB's
/// bookkeeping applies to these statements (no transaction observers are
/// registered, and GRDB reads the transaction state from SQLite itself).
struct BoundStatement {
    private let statement: Statement
    private let handle: SQLiteStatement

    init(_ db: Database, sql: String) throws {
        statement = try db.cachedStatement(sql: sql)
        handle = statement.sqliteStatement
        // Each run ends with a reset (below), so this only guards the first.
        sqlite3_reset(handle)
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
    func execute() throws {
        while true {
            switch sqlite3_step(handle) {
            case SQLITE_DONE:
                sqlite3_reset(handle)
                return
            case SQLITE_ROW:
                continue
            case let code:
                throw failure(code)
            }
        }
    }

    /// Whether the query with the values bound returns a row.
    func returnsRow() throws -> Bool {
        guard try step() else { return false }
        reset()
        return true
    }

    /// Steps the query with the values bound: true with a row to read with
    /// `text(at:)` and `integer(at:)` (then `reset()`), false when it has none.
    func step() throws -> Bool {
        switch sqlite3_step(handle) {
        case SQLITE_ROW:
            return true
        case SQLITE_DONE:
            sqlite3_reset(handle)
            return false
        case let code:
            throw failure(code)
        }
    }

    /// A text column of the current row (0-based); "" for NULL.
    func text(at column: Int32) -> String {
        guard let text = sqlite3_column_text(handle, column) else { return "" }
        let count = Int(sqlite3_column_bytes(handle, column))
        return String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self)
    }

    /// An integer column of the current row (0-based); 0 for NULL.
    func integer(at column: Int32) -> Int64 {
        sqlite3_column_int64(handle, column)
    }

    /// An integer column of the current row (0-based) that may be NULL.
    func optionalInteger(at column: Int32) -> Int64? {
        sqlite3_column_type(handle, column) == SQLITE_NULL ? nil : sqlite3_column_int64(handle, column)
    }

    /// Ends the current run of a query before its last row.
    func reset() {
        sqlite3_reset(handle)
    }

    /// The error of a failed step; resets the statement for its next run.
    private func failure(_ code: Int32) -> DatabaseError {
        let message = String(cString: sqlite3_errmsg(sqlite3_db_handle(handle)))
        sqlite3_reset(handle)
        return DatabaseError(resultCode: ResultCode(rawValue: code), message: message, sql: statement.sql)
    }

    private static let emptyText: StaticString = ""
    /// `SQLITE_TRANSIENT`: SQLite copies the text before the call returns.
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
}

/// The writer's hot statements, each prepared once and kept: finding one in
/// GRDB's statement cache hashes its whole SQL text, which several times per
/// mutation was a few per cent of the writer's time. Keyed by the address of
/// the static text. For one connection, inside its write accesses; emptied
/// (`removeAll`) before the connection closes, which held statements prevent.
final class StatementCache {
    private var statements: [UnsafeRawPointer: BoundStatement] = [:]

    func callAsFunction(_ sql: StaticString, _ db: Database) throws -> BoundStatement {
        let key = UnsafeRawPointer(sql.utf8Start)
        if let statement = statements[key] { return statement }
        let statement = try BoundStatement(db, sql: sql.description)
        statements[key] = statement
        return statement
    }

    func removeAll() { statements.removeAll() }
}
