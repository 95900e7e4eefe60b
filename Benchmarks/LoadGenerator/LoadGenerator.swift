import ArgumentParser
import Foundation
import Synchronization
import Varlink

/// Drives a running casetrackd over its socket with N clients and prints
/// throughput and latency percentiles. Starts no daemon itself.
///
/// The setup (cohort, intake, cases) goes through `VarlinkClient`. The
/// measured calls do not: each client is an OS thread writing and reading
/// blocking Unix-domain sockets (`LoadClient`), so that the load generator
/// spends a small part of the CPU the daemon spends on a call and measures
/// the daemon rather than itself.
@main
struct LoadGenerator: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "casetrack-bench",
        abstract: "Load generator for casetrackd: N clients drive a mix of calls over the Varlink socket.",
        discussion: """
            It creates its own cohort (bench-<random>) with cases parked in usrap's 'oriented' state, \
            which cycle through travel-booked ⇄ oriented, and a pool of unregistered persons to move. \
            Each client owns its cases, so no two clients touch one case.
            """)

    @Option(help: "The daemon's socket.") var socket = "/run/casetrack/io.casetrack.Tracker"
    @Option(help: "Concurrent clients, one connection each.") var clients = 16
    @Option(help: "Calls each client keeps in flight, each on a connection of its own.") var depth = 1
    @Option(help: "Seconds to run.") var duration: Double = 10
    @Option(help: "Weights of call kinds: transition, move, read (DescribeCohort), status.")
    var mix = "transition=100"
    @Option(help: "Cases per client.") var casesPerClient = 200
    @Flag(
        help: """
            Send random request ids (UUID version 4, as a client of its own might) instead of \
            the time-ordered ones casetrackctl sends (RequestID, UUID version 7).
            """)
    var randomRequestIds = false
    @Flag(
        help: """
            Measure the machine's floor instead: the same client calling a server thread of this \
            process that only answers, one call at a time, for --duration. No daemon is needed.
            """)
    var echoFloor = false
    @Flag(help: "Print figures as JSON.") var json = false

    func validate() throws {
        guard clients >= 1, depth >= 1, casesPerClient >= depth else {
            throw ValidationError("--clients and --depth must be at least 1, and --cases-per-client at least --depth")
        }
    }

    func run() async throws {
        if echoFloor {
            let started = monotonicNanoseconds()
            let latencies = try EchoFloor.measure(until: started + UInt64(duration * 1e9))
            report([.echo: latencies], seconds: Double(monotonicNanoseconds() - started) / 1e9)
            return
        }
        let weights = try parseMix(mix)
        let setupClient = try await VarlinkClient.connect(unixPath: socket)
        let cohort = "bench-\(UInt32.random(in: 0...UInt32.max))"
        let run = String(cohort.dropFirst(6))
        _ = try await setupClient.call(
            "io.casetrack.Tracker.CreateCohort",
            parameters: ["id": .string(cohort), "pipeline": "usrap", "title": "load generator"])
        _ = try await setupClient.call(
            "io.casetrack.Tracker.Intake", parameters: ["cohort": .string(cohort), "persons": 100_000_000])
        for client in 0..<clients {
            let cases: [JSONValue] = (0..<casesPerClient).map { index in
                ["id": .string("B\(run)-\(client)-\(index)"), "persons": 3, "state": "oriented"]
            }
            _ = try await setupClient.call(
                "io.casetrack.Tracker.ImportCases", parameters: ["cohort": .string(cohort), "cases": .array(cases)])
        }
        await setupClient.close()

        // The measured part: raw blocking sockets, one OS thread per client,
        // so the client spends little CPU beside the daemon's.
        let connections: [[BlockingConnection]] = try (0..<clients).map { _ in
            try (0..<depth).map { _ in try BlockingConnection(unixPath: socket) }
        }
        let started = monotonicNanoseconds()
        let deadline = started + UInt64(duration * 1e9)
        let casesPerClient = self.casesPerClient
        let requestIds: LoadClient.RequestIDs = randomRequestIds ? .random : .timeOrdered
        let results = await withCheckedContinuation { finished in
            let merged = MergedLatencies(clients: clients, finished: finished)
            for (index, connections) in connections.enumerated() {
                let client = LoadClient(
                    index: index, run: run, cohort: cohort, connections: connections,
                    casesPerClient: casesPerClient, weights: weights, requestIds: requestIds)
                Thread {
                    Thread.current.name = "bench-client-\(index)"
                    var client = client
                    do throws(BenchFailure) {
                        merged.add(try client.run(until: deadline))
                    } catch {
                        // The first failure ends the run; the lock is never
                        // released, so no other thread's report interleaves.
                        Self.failing.withLock { _ in Self.exit(withError: error) }
                    }
                }.start()
            }
        }
        let seconds = Double(monotonicNanoseconds() - started) / 1e9
        report(results, seconds: seconds)
    }

    private static let failing = Mutex(())

    /// The client threads' latencies, merged as each thread finishes; the
    /// last to finish hands them on.
    final class MergedLatencies: Sendable {
        private let state: Mutex<(remaining: Int, latencies: [Kind: [Double]])>
        private let finished: CheckedContinuation<[Kind: [Double]], Never>

        init(clients: Int, finished: CheckedContinuation<[Kind: [Double]], Never>) {
            state = Mutex((clients, [:]))
            self.finished = finished
        }

        func add(_ latencies: [Kind: [Double]]) {
            let all = state.withLock { state -> [Kind: [Double]]? in
                for (kind, values) in latencies { state.latencies[kind, default: []] += values }
                state.remaining -= 1
                return state.remaining == 0 ? state.latencies : nil
            }
            if let all { finished.resume(returning: all) }
        }
    }

    /// The kinds of call; `echo` is the floor's, not the daemon's.
    enum Kind: String, CaseIterable, Sendable { case transition, move, read, status, echo }

    func parseMix(_ text: String) throws -> [(Kind, Int)] {
        let weights = try text.split(separator: ",").map { part in
            let pieces = part.split(separator: "=")
            guard pieces.count == 2, let kind = Kind(rawValue: String(pieces[0])), kind != .echo,
                let weight = Int(pieces[1]), weight >= 0
            else { throw ValidationError("--mix takes kind=weight pairs, e.g. transition=80,read=20") }
            return (kind, weight)
        }
        guard !weights.isEmpty else { throw ValidationError("--mix names no kind of call") }
        return weights
    }

    func report(_ results: [Kind: [Double]], seconds: Double) {
        struct Figures: Encodable {
            var kind: String
            var calls: Int
            var perSecond: Double
            var p50Micros: Double
            var p99Micros: Double
            var p999Micros: Double
            var maxMicros: Double
        }
        func percentile(_ sorted: [Double], _ p: Double) -> Double {
            guard !sorted.isEmpty else { return 0 }
            return sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.down)))]
        }
        let figures = Kind.allCases.compactMap { kind -> Figures? in
            guard let values = results[kind], !values.isEmpty else { return nil }
            let sorted = values.sorted()
            return Figures(
                kind: kind.rawValue, calls: sorted.count, perSecond: Double(sorted.count) / seconds,
                p50Micros: percentile(sorted, 0.5), p99Micros: percentile(sorted, 0.99),
                p999Micros: percentile(sorted, 0.999), maxMicros: sorted.last ?? 0)
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: (try? encoder.encode(figures)) ?? Data(), as: UTF8.self))
            return
        }
        if echoFloor {
            print("echo floor: one client, a server thread that only answers, duration=\(String(format: "%.1f", seconds))s")
        } else {
            print("clients=\(clients) depth=\(depth) duration=\(String(format: "%.1f", seconds))s mix=\(mix)")
        }
        print("kind        calls      per s     p50 µs     p99 µs    p999 µs     max µs")
        for figure in figures {
            print(
                figure.kind.padding(toLength: 10, withPad: " ", startingAt: 0)
                    + String(
                        format: "%7d %10.0f %10.1f %10.1f %10.1f %10.1f", figure.calls, figure.perSecond,
                        figure.p50Micros, figure.p99Micros, figure.p999Micros, figure.maxMicros))
        }
    }
}
