import Foundation

/// One CSV record: its fields, the line it starts on, and the file offset
/// just past it.
public struct CSVRecord: Equatable, Sendable {
    public var fields: [String]
    public var line: Int
    public var endOffset: Int

    public init(fields: [String], line: Int, endOffset: Int) {
        self.fields = fields
        self.line = line
        self.endOffset = endOffset
    }
}

/// Why a file is not CSV (RFC 4180); reading cannot go on past it.
public struct CSVSyntaxError: Error, Equatable, Sendable {
    public var line: Int
    public var reason: String

    public init(line: Int, reason: String) {
        self.line = line
        self.reason = reason
    }
}

/// Reads RFC 4180 CSV a chunk at a time: quoted fields, doubled quotes,
/// commas and newlines inside quotes, LF or CRLF line ends. Blank lines are
/// skipped. Memory stays at one chunk and one record however long the file.
public final class CSVReader {
    private enum FieldState {
        case start
        case unquoted
        case quoted
        /// A quote inside a quoted field: the field's end, or the first of a doubled quote.
        case quoteInQuoted
        /// After a closing quote: only a comma or a line end may follow.
        case afterQuoted
    }

    public let path: String
    public let fileSize: Int
    private let handle: FileHandle
    private var chunk: [UInt8] = []
    private var position = 0
    private var chunkStart = 0
    private var atEOF = false
    private var line = 1

    private let chunkSize: Int
    private static let quote = UInt8(ascii: "\"")
    private static let comma = UInt8(ascii: ",")
    private static let newline = UInt8(ascii: "\n")
    private static let carriageReturn = UInt8(ascii: "\r")

    /// Opens `path`; reads it `chunkSize` bytes at a time.
    public init(path: String, chunkSize: Int = 1 << 20) throws(CSVSyntaxError) {
        precondition(chunkSize > 0)
        self.path = path
        self.chunkSize = chunkSize
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw CSVSyntaxError(line: 0, reason: "cannot open: \(String(cString: strerror(errno)))")
        }
        self.handle = handle
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue
        self.fileSize = size ?? 0
    }

    deinit {
        try? handle.close()
    }

    /// Bytes consumed so far.
    public var offset: Int { chunkStart + position }

    /// The next non-blank record, or nil at the end of the file.
    public func next() throws(CSVSyntaxError) -> CSVRecord? {
        while true {
            guard let (fields, startLine, wasBlank) = try readRecord() else { return nil }
            if wasBlank { continue }
            return CSVRecord(fields: fields, line: startLine, endOffset: offset)
        }
    }

    private func readRecord() throws(CSVSyntaxError) -> ([String], Int, Bool)? {
        guard peek() != nil else { return nil }
        let startLine = line
        var fields: [String] = []
        var field: [UInt8] = []
        var state = FieldState.start
        var sawAnything = false

        func finishField() throws(CSVSyntaxError) {
            guard let text = String(validating: field, as: UTF8.self) else {
                throw CSVSyntaxError(line: startLine, reason: "field \(fields.count + 1) is not valid UTF-8")
            }
            fields.append(text)
            field.removeAll(keepingCapacity: true)
        }

        while let byte = take() {
            if byte == Self.newline { line += 1 }
            switch state {
            case .start, .unquoted, .afterQuoted:
                if byte == Self.comma {
                    try finishField()
                    state = .start
                    sawAnything = true
                } else if byte == Self.newline || (byte == Self.carriageReturn && peek() == Self.newline) {
                    if byte == Self.carriageReturn {
                        _ = take()
                        line += 1
                    }
                    try finishField()
                    return (fields, startLine, !sawAnything && fields.count == 1 && fields[0].isEmpty)
                } else if state == .afterQuoted {
                    throw CSVSyntaxError(
                        line: line, reason: "text after a closing quote (a field that is quoted must be quoted whole)")
                } else if byte == Self.quote {
                    guard state == .start else {
                        throw CSVSyntaxError(
                            line: line,
                            reason:
                                "a quote inside an unquoted field (quote the whole field and double the quote: \"a \"\"b\"\" c\")"
                        )
                    }
                    state = .quoted
                    sawAnything = true
                } else {
                    field.append(byte)
                    appendPlainRun(to: &field, stoppingAtComma: true)
                    state = .unquoted
                    sawAnything = true
                }
            case .quoted:
                if byte == Self.quote {
                    state = .quoteInQuoted
                } else {
                    field.append(byte)
                    appendPlainRun(to: &field, stoppingAtComma: false)
                }
            case .quoteInQuoted:
                if byte == Self.quote {
                    field.append(byte)
                    state = .quoted
                } else {
                    state = .afterQuoted
                    // Hand the byte back and treat it after the closing quote.
                    position -= 1
                    if byte == Self.newline { line -= 1 }
                }
            }
        }
        if state == .quoted {
            throw CSVSyntaxError(line: startLine, reason: "a quoted field is not closed before the end of the file")
        }
        try finishField()
        return (fields, startLine, !sawAnything && fields.count == 1 && fields[0].isEmpty)
    }

    /// Appends the bytes up to the next one that means something (a quote, a line
    /// end, and outside quotes a comma) in one go, within the current chunk.
    private func appendPlainRun(to field: inout [UInt8], stoppingAtComma: Bool) {
        let start = position
        let end = chunk.withUnsafeBufferPointer { bytes in
            var index = start
            while index < bytes.count {
                let byte = bytes[index]
                if byte == Self.quote || byte == Self.newline || byte == Self.carriageReturn
                    || (stoppingAtComma && byte == Self.comma)
                {
                    break
                }
                index += 1
            }
            return index
        }
        if end > start {
            field.append(contentsOf: chunk[start..<end])
            position = end
        }
    }

    private func peek() -> UInt8? {
        if position == chunk.count && !refill() { return nil }
        return chunk[position]
    }

    private func take() -> UInt8? {
        if position == chunk.count && !refill() { return nil }
        let byte = chunk[position]
        position += 1
        return byte
    }

    private func refill() -> Bool {
        guard !atEOF else { return false }
        let data = (try? handle.read(upToCount: chunkSize)) ?? nil
        guard let data, !data.isEmpty else {
            atEOF = true
            return false
        }
        chunkStart += chunk.count
        chunk = [UInt8](data)
        position = 0
        return true
    }
}
