import CaseFileFormat
import Foundation
import Varlink

/// A run of rows sent in one `ImportCases` call (all or none).
struct ImportBatch: Sendable {
    var number: Int
    var cases: [NewCase]
    var firstLine: Int
    var lastLine: Int
    var endOffset: Int
}

/// What became of one batch.
enum BatchOutcome: Sendable {
    case committed(ImportBatch, added: Int)
    case refused(ImportBatch, any Error)
}

/// The connection an import's batches share. When it breaks it is dropped,
/// and the next batch to need it connects again, so a batch can be retried
/// (its requestId makes the retry safe).
actor ImportConnection {
    let path: String
    private var client: VarlinkClient?

    init(client: VarlinkClient?, path: String) {
        self.client = client
        self.path = path
    }

    /// The working client, connecting again if the last one broke.
    func current() async throws(VarlinkClientError) -> VarlinkClient {
        if let client { return client }
        let fresh = try await VarlinkClient.connect(unixPath: path)
        client = fresh
        return fresh
    }

    /// Forgets `broken` unless another batch has already replaced it.
    func discard(_ broken: VarlinkClient) {
        if broken === client { client = nil }
    }

    func close() async {
        await client?.close()
        client = nil
    }
}

/// The second pass: streams the checked file to the daemon in batches, a
/// few in flight at once.
struct Importer {
    static let method = Daemon.interface + ".ImportCases"
    static let maxInFlight = 4
    static let maxAttempts = 5

    private struct Parameters: Encodable, Sendable {
        var cohort: String
        var cases: [NewCase]
        var requestId: String
    }

    private struct Reply: Decodable, Sendable {
        var added: Int
    }

    let cohort: String
    let path: String
    let layout: CaseFileLayout
    let batchSize: Int
    let fromUnregistered: Bool
    /// Each batch's requestId is this run's id and the batch number.
    let runID = newRequestIDText()

    struct Result {
        var committed: [ImportBatch] = []
        var added = 0
        var failure: (batch: ImportBatch, error: any Error)?
    }

    /// Sends the batches over `connections`, batch n on connection n mod
    /// count: the daemon applies one connection's calls in order, so batches in
    /// flight on different connections overlap (one decodes while another commits).
    func run(connections: [ImportConnection], progress: inout ProgressBar) async throws -> Result {
        let reader = try CSVReader(path: path)
        _ = try reader.next()  // the header, checked in the first pass
        var result = Result()
        var rowsDone = 0
        var bytesDone = 0
        var number = 0
        await withTaskGroup(of: BatchOutcome.self) { group in
            var inFlight = 0
            func absorb(_ outcome: BatchOutcome) {
                inFlight -= 1
                switch outcome {
                case .committed(let batch, let added):
                    result.committed.append(batch)
                    result.added += added
                    rowsDone += batch.cases.count
                    bytesDone = max(bytesDone, batch.endOffset)
                    progress.update(rows: rowsDone, bytes: bytesDone)
                case .refused(let batch, let error):
                    if result.failure == nil || batch.number < result.failure!.batch.number {
                        result.failure = (batch, error)
                    }
                }
            }
            while result.failure == nil {
                let batch: ImportBatch?
                do throws(CSVSyntaxError) {
                    number += 1
                    batch = try nextBatch(reader, number: number)
                } catch {
                    // The first pass read the same file: it changed underneath us.
                    result.failure = (
                        ImportBatch(
                            number: number, cases: [], firstLine: error.line, lastLine: error.line, endOffset: 0), error
                    )
                    break
                }
                guard let batch else { break }
                if inFlight == Self.maxInFlight, let outcome = await group.next() {
                    absorb(outcome)
                    if result.failure != nil { break }
                }
                let send = self.send
                let connection = connections[batch.number % connections.count]
                group.addTask { await send(batch, connection) }
                inFlight += 1
            }
            while let outcome = await group.next() { absorb(outcome) }
        }
        return result
    }

    private func nextBatch(_ reader: CSVReader, number: Int) throws(CSVSyntaxError) -> ImportBatch? {
        var cases: [NewCase] = []
        cases.reserveCapacity(batchSize)
        var firstLine = 0
        var lastLine = 0
        while cases.count < batchSize, let record = try reader.next() {
            guard case .valid(let row) = layout.newCase(record, file: path, fromUnregistered: fromUnregistered) else {
                throw CSVSyntaxError(line: record.line, reason: "the row changed since it was checked")
            }
            if cases.isEmpty { firstLine = record.line }
            lastLine = record.line
            cases.append(row)
        }
        guard !cases.isEmpty else { return nil }
        return ImportBatch(
            number: number, cases: cases, firstLine: firstLine, lastLine: lastLine, endOffset: reader.offset)
    }

    private var send: @Sendable (ImportBatch, ImportConnection) async -> BatchOutcome {
        let parameters: @Sendable (ImportBatch) -> Parameters = { [cohort, runID] batch in
            Parameters(cohort: cohort, cases: batch.cases, requestId: "\(runID)/\(batch.number)")
        }
        return { batch, connection in
            let call = parameters(batch)
            var attempt = 1
            while true {
                var used: VarlinkClient?
                do throws(VarlinkClientError) {
                    let client = try await connection.current()
                    used = client
                    let reply = try await client.call(Self.method, call, returning: Reply.self)
                    return .committed(batch, added: reply.added)
                } catch {
                    // A broken connection (the daemon restarting) is retried with the same
                    // requestId: applied once even if the first try was committed.
                    let retryable: Bool
                    switch error {
                    case .closed, .connect: retryable = true
                    case .remote, .protocolViolation, .invalidReply, .invalidCall: retryable = false
                    }
                    guard retryable, attempt < Self.maxAttempts else { return .refused(batch, error) }
                    if let used { await connection.discard(used) }
                    try? await Task.sleep(for: .milliseconds(250 << (attempt - 1)))
                    attempt += 1
                }
            }
        }
    }
}
