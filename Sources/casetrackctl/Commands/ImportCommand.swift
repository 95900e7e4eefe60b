import CaseFileFormat
import ArgumentParser
import Foundation
import Varlink

/// `casetrackctl import COHORT FILE.csv`: ImportCases, batch by batch.
struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Register the cases of a CSV file in a cohort.",
        discussion: """
            The file has a header row id,persons,state,<attribute columns…> (RFC 4180: \
            quoted fields, doubled quotes, commas and newlines inside quotes, CRLF). An empty \
            state means the pipeline's first initial state; an empty attribute is left out.

            The whole file is checked first; if any row is bad, each is reported as \
            FILE:LINE: column NAME: why, nothing is sent, and the exit status is 65. Then the \
            rows are sent in batches, each applied all or none; a batch the daemon refuses \
            stops the import, and the cases committed before it are reported.
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The cohort the cases join.")
    var cohort: String

    @Argument(help: "The CSV file.")
    var file: String

    @Option(help: "Cases per ImportCases call.")
    var batch = 5000

    @Flag(help: "Draw each case's persons from the cohort's unregistered persons in its state.")
    var fromUnregistered = false

    @Flag(
        help: "Only check the file (without the daemon, so states are not checked against the pipeline); send nothing.")
    var checkOnly = false

    func validate() throws {
        guard batch >= 1 else { throw ValidationError("--batch must be at least 1") }
    }

    func run() async throws {
        let started = ContinuousClock.now
        if checkOnly {
            let (path, origin) = global.socketPath
            do {
                let check = try checkFile(states: nil)
                Printer.out("\(file): \(Formatting.count(check.rows)) rows, all valid")
            } catch {
                throw Failure.report(error, socket: path, origin: origin, json: global.json)
            }
            return
        }
        try await global.withDaemon { daemon in
            // The pipeline's states let the first pass catch an unknown state before anything is sent.
            let states = try await pipelineStates(daemon)
            let check = try checkFile(states: states)
            guard let layout = check.layout else { return }

            let importer = Importer(
                cohort: cohort, path: file, layout: layout, batchSize: batch, fromUnregistered: fromUnregistered)
            let connections =
                [ImportConnection(client: daemon.client, path: daemon.socketPath)]
                + (1..<Importer.maxInFlight).map { _ in ImportConnection(client: nil, path: daemon.socketPath) }
            var sending = ProgressBar(label: "importing", totalBytes: check.bytes)
            let result: Importer.Result
            do {
                result = try await importer.run(connections: connections, progress: &sending)
            } catch let error as CSVSyntaxError {
                sending.finish()
                throw UsageError("\(file): \(error.reason)", exitCode: ExitStatus.dataError)
            }
            sending.finish()
            for connection in connections { await connection.close() }
            let elapsed = ProgressBar.seconds(ContinuousClock.now - started)
            if let failure = result.failure {
                throw reportFailure(failure, result: result)
            }
            if global.json {
                Printer.json([
                    "added": .int(Int64(result.added)), "cohort": .string(cohort), "rows": .int(Int64(check.rows)),
                    "batches": .int(Int64(result.committed.count)),
                    "seconds": .double((elapsed * 1000).rounded() / 1000),
                ])
            } else {
                Printer.out(
                    "imported \(Formatting.count(result.added)) cases into \(cohort) in \(Formatting.seconds(elapsed))")
            }
        }
    }

    /// The first pass: every row checked; bad rows reported (exit 65).
    private func checkFile(states: Set<String>?) throws -> CaseFileCheck {
        let size = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? NSNumber)?.intValue ?? 0
        var checking = ProgressBar(label: "checking ", totalBytes: size)
        var check: CaseFileCheck
        do throws(CSVSyntaxError) {
            check = try CaseFileCheck.run(path: file, states: states, progress: &checking)
        } catch {
            checking.finish()
            throw UsageError("\(file): \(error.reason)", exitCode: ExitStatus.dataError)
        }
        checking.finish()
        check.bytes = size
        guard check.errorCount == 0, check.layout != nil else {
            for error in check.errors { Printer.err(error.description) }
            if check.errorCount > check.errors.count {
                Printer.err("… and \(Formatting.count(check.errorCount - check.errors.count)) more")
            }
            throw UsageError(
                "\(file): \(Formatting.count(check.errorCount)) problem\(check.errorCount == 1 ? "" : "s"); nothing was imported",
                exitCode: ExitStatus.dataError)
        }
        return check
    }

    private func pipelineStates(_ daemon: Daemon) async throws -> Set<String> {
        let cohortRecord = try await daemon.call(
            "DescribeCohort", ["id": .string(cohort)], member: "cohort", as: Cohort.self
        ).value
        let pipeline = try await daemon.call(
            "DescribePipeline", ["name": .string(cohortRecord.pipeline)], member: "pipeline", as: Pipeline.self
        ).value
        return Set(pipeline.states.map(\.name))
    }

    /// Says which batch was refused and what was committed before it; returns
    /// the error to exit with.
    private func reportFailure(_ failure: (batch: ImportBatch, error: any Error), result: Importer.Result) -> any Error
    {
        let batch = failure.batch
        let lines =
            batch.firstLine == batch.lastLine
            ? "line \(Formatting.count(batch.firstLine))"
            : "lines \(Formatting.count(batch.firstLine))–\(Formatting.count(batch.lastLine))"
        Printer.err("casetrackctl: batch \(batch.number) (\(file) \(lines)) was not imported:")
        let (path, origin) = global.socketPath
        let exit = Failure.report(failure.error, socket: path, origin: origin, json: global.json)
        let committed = result.committed.sorted { $0.number < $1.number }
        let rows = committed.reduce(0) { $0 + $1.cases.count }
        var summary: String
        if committed.isEmpty {
            summary = "no case of \(file) was committed"
        } else if let last = committed.last, committed.count == last.number {
            summary =
                "\(Formatting.count(rows)) cases were committed before it (\(file) lines "
                + "\(Formatting.count(committed[0].firstLine))–\(Formatting.count(last.lastLine)))"
        } else {
            let batches = committed.map {
                "\($0.number) (lines \(Formatting.count($0.firstLine))–\(Formatting.count($0.lastLine)))"
            }
            summary =
                "\(Formatting.count(rows)) cases were committed by the batches sent alongside it: "
                + batches.joined(separator: ", ")
        }
        Printer.err("casetrackctl: \(summary); each batch is all or none, and no further batch was sent")
        return exit
    }
}
