// Fuzz target for the case files `casetrackctl import` reads.
//
// An input is one byte choosing the reader's chunk size (1 to 16 bytes, so
// that every record, quote and CRLF also falls across chunk boundaries)
// followed by the file. The target checks that
//  - the chunked reader and a reader taking the file in one chunk agree on
//    every record (fields, line, end offset) and on where the file stops
//    being CSV;
//  - both agree with an independent whole-buffer parser written here from
//    RFC 4180 and the rules in CSVReader's documentation;
//  - every row the import would send obeys the daemon's rules and survives
//    the JSON encoding it is sent in.
// Any disagreement stops the process (a crash for libFuzzer).
import CaseFileFormat
import FuzzSupport
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The file each input is written to: the reader reads paths, as the import does.
let scratchFile: String = {
    let directory = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : NSTemporaryDirectory()
    atexit { unlink(scratchFile) }
    return "\(directory)/casetrack-fuzz-csv-\(getpid()).csv"
}()

func check(_ input: UnsafeBufferPointer<UInt8>) {
    guard let selector = input.first else { return }
    let file = Array(input.dropFirst())
    let fd = open(scratchFile, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    precondition(fd >= 0, "cannot write \(scratchFile)")
    let written = file.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    close(fd)
    precondition(written == file.count, "short write to \(scratchFile)")

    let chunked = readAll(chunkSize: 1 + Int(selector % 16))
    let whole = readAll(chunkSize: 1 << 20)
    guard chunked == whole else {
        fatalError("chunked and whole reads differ:\n\(chunked)\n\(whole)")
    }
    let reference = ReferenceCSV.parse(file)
    guard reference.records == whole.records.map(ReferenceCSV.Record.init),
        reference.failed == (whole.error != nil)
    else {
        fatalError("reader and reference parser differ:\n\(whole)\n\(reference)")
    }
    checkRows(whole.records)
}

/// Everything a reader yields: records up to the end or the first syntax error.
struct Reading: Equatable, CustomStringConvertible {
    var records: [CSVRecord] = []
    var error: CSVSyntaxError?

    var description: String { "\(records.map { ($0.line, $0.endOffset, $0.fields) }) error: \(String(describing: error))" }
}

func readAll(chunkSize: Int) -> Reading {
    var reading = Reading()
    do {
        let reader = try CSVReader(path: scratchFile, chunkSize: chunkSize)
        while let record = try reader.next() { reading.records.append(record) }
    } catch {
        reading.error = error
    }
    return reading
}

/// The rows the import would send: each obeys the rules and encodes to the JSON the daemon reads.
func checkRows(_ records: [CSVRecord]) {
    guard let header = records.first, case .valid(let layout) = CaseFileLayout.parse(header, file: "fuzz.csv") else {
        return
    }
    let encoder = JSONEncoder()
    let decoder = JSONDecoder()
    for record in records.dropFirst() {
        guard case .valid(let row) = layout.newCase(record, file: "fuzz.csv", fromUnregistered: false) else { continue }
        precondition(RowRules.caseIDProblem(row.id) == nil, "accepted a bad case id \(row.id)")
        precondition((1...RowRules.maxPersons).contains(row.persons), "accepted persons \(row.persons)")
        if let state = row.state { precondition(RowRules.isValidName(state), "accepted state \(state)") }
        for (key, value) in row.attributes ?? [:] {
            precondition(RowRules.isValidAttributeKey(key), "accepted attribute key \(key)")
            precondition(
                RowRules.textProblem(value, maxLength: RowRules.maxAttributeValueLength) == nil,
                "accepted attribute value \(value)")
        }
        // Decoded as the daemon decodes it (JSONDecoder; JSONSerialization would drop a leading U+FEFF).
        guard let json = try? encoder.encode(row), let sent = try? decoder.decode(SentCase.self, from: json),
            sent.id == row.id, sent.persons == row.persons, sent.state == row.state, sent.attributes == row.attributes
        else {
            fatalError("row does not survive its JSON encoding: \(row)")
        }
    }
}

/// A case as the daemon reads it from ImportCases.
struct SentCase: Decodable {
    var id: String
    var persons: Int
    var state: String?
    var attributes: [String: String]?
}

/// RFC 4180 over a whole buffer, written independently of CSVReader:
/// fields separated by commas, records by LF or CRLF (a lone CR is data),
/// quoted fields with doubled quotes and any byte inside, nothing after a
/// closing quote but a separator, no quote inside an unquoted field, every
/// field valid UTF-8, a record of one empty unquoted field (a blank line)
/// skipped. Lines count every LF, inside quotes too.
enum ReferenceCSV {
    struct Record: Equatable {
        var fields: [String]
        var line: Int
        var endOffset: Int

        init(fields: [String], line: Int, endOffset: Int) {
            self.fields = fields
            self.line = line
            self.endOffset = endOffset
        }

        init(_ record: CSVRecord) {
            self.init(fields: record.fields, line: record.line, endOffset: record.endOffset)
        }
    }

    struct Result: CustomStringConvertible {
        var records: [Record] = []
        var failed = false

        var description: String { "\(records.map { ($0.line, $0.endOffset, $0.fields) }) failed: \(failed)" }
    }

    private static let quote = UInt8(ascii: "\""), comma = UInt8(ascii: ","), lf = UInt8(ascii: "\n"),
        cr = UInt8(ascii: "\r")

    static func parse(_ bytes: [UInt8]) -> Result {
        var result = Result()
        var index = 0
        var line = 1
        let end = bytes.count

        /// At a record's end: LF, CRLF or the end of the buffer; consumes it.
        func atRecordEnd() -> Bool {
            if index == end { return true }
            if bytes[index] == lf {
                index += 1
                line += 1
                return true
            }
            if bytes[index] == cr, index + 1 < end, bytes[index + 1] == lf {
                index += 2
                line += 1
                return true
            }
            return false
        }

        while index < end {
            let startLine = line
            var fields: [String] = []
            var blank = true
            record: while true {
                var field: [UInt8] = []
                if bytes[safe: index] == quote {
                    blank = false
                    index += 1
                    while true {
                        guard index < end else {
                            result.failed = true
                            return result
                        }
                        let byte = bytes[index]
                        index += 1
                        if byte == quote {
                            if bytes[safe: index] == quote {
                                field.append(quote)
                                index += 1
                                continue
                            }
                            break
                        }
                        if byte == lf { line += 1 }
                        field.append(byte)
                    }
                } else {
                    while index < end, bytes[index] != comma, bytes[index] != lf,
                        !(bytes[index] == cr && bytes[safe: index + 1] == lf)
                    {
                        if bytes[index] == quote {
                            result.failed = true
                            return result
                        }
                        field.append(bytes[index])
                        index += 1
                    }
                    if !field.isEmpty { blank = false }
                }
                guard let text = String(validating: field, as: UTF8.self) else {
                    result.failed = true
                    return result
                }
                fields.append(text)
                if bytes[safe: index] == comma {
                    blank = false
                    index += 1
                    continue record
                }
                if atRecordEnd() { break record }
                result.failed = true  // text after a closing quote
                return result
            }
            if !blank { result.records.append(Record(fields: fields, line: startLine, endOffset: index)) }
        }
        return result
    }
}

extension Array where Element == UInt8 {
    subscript(safe index: Int) -> UInt8? { index < count ? self[index] : nil }
}

@main
enum Fuzzer {
    static func main() {
        FuzzTarget.main(check: check) { "casetrack-fuzz-csv: \($0) inputs replayed, no finding" }
    }
}
