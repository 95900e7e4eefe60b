import ArgumentParser
import Foundation
import Varlink

/// Drives a running casetrackd over its socket with N clients and prints
/// throughput and latency percentiles. Starts no daemon itself.
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
    @Flag(help: "Print figures as JSON.") var json = false

    func validate() throws {
        guard clients >= 1, depth >= 1, casesPerClient >= depth else {
            throw ValidationError("--clients and --depth must be at least 1, and --cases-per-client at least --depth")
        }
    }

    func run() async throws {
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

        let deadline = ContinuousClock.now + .milliseconds(Int(duration * 1000))
        let started = ContinuousClock.now
        let socket = self.socket
        let casesPerClient = self.casesPerClient
        let depth = self.depth
        let results = try await withThrowingTaskGroup(of: [Kind: [Double]].self) { group in
            for client in 0..<clients {
                group.addTask {
                    try await Self.drive(
                        socket: socket, client: client, run: run, cohort: cohort, weights: weights, deadline: deadline,
                        casesPerClient: casesPerClient, depth: depth)
                }
            }
            var merged: [Kind: [Double]] = [:]
            for try await latencies in group {
                for (kind, values) in latencies { merged[kind, default: []] += values }
            }
            return merged
        }
        let elapsed = ContinuousClock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        report(results, seconds: seconds)
    }

    enum Kind: String, CaseIterable, Sendable { case transition, move, read, status }

    func parseMix(_ text: String) throws -> [(Kind, Int)] {
        try text.split(separator: ",").map { part in
            let pieces = part.split(separator: "=")
            guard pieces.count == 2, let kind = Kind(rawValue: String(pieces[0])), let weight = Int(pieces[1]), weight >= 0
            else { throw ValidationError("--mix takes kind=weight pairs, e.g. transition=80,read=20") }
            return (kind, weight)
        }
    }

    static func drive(
        socket: String, client index: Int, run: String, cohort: String, weights: [(Kind, Int)],
        deadline: ContinuousClock.Instant, casesPerClient: Int, depth: Int
    ) async throws -> [Kind: [Double]] {
        let total = weights.reduce(0) { $0 + $1.1 }
        // Each case alternates travel-booked / travel-cancelled; slot s owns cases s, s+depth, …
        let latencies = try await withThrowingTaskGroup(of: [Kind: [Double]].self) { group in
            for slot in 0..<depth {
                group.addTask {
                    // One connection per slot: the daemon applies a connection's calls in order.
                    let client = try await VarlinkClient.connect(unixPath: socket)
                    defer { Task { await client.close() } }
                    var generator = SystemRandomNumberGenerator()
                    var mine: [Kind: [Double]] = [:]
                    // Slot s owns cases s, s + depth, s + 2·depth, … below casesPerClient.
                    let owned = Array(stride(from: slot, to: casesPerClient, by: depth))
                    var turn = 0
                    var caseIndex = owned.first ?? 0
                    var booked = [Bool](repeating: false, count: casesPerClient)
                    while ContinuousClock.now < deadline {
                        var pick = Int.random(in: 0..<max(1, total), using: &generator)
                        var kind = weights.first!.0
                        for (candidate, weight) in weights {
                            if pick < weight {
                                kind = candidate
                                break
                            }
                            pick -= weight
                        }
                        let start = ContinuousClock.now
                        switch kind {
                        case .transition:
                            _ = try await client.call(
                                "io.casetrack.Tracker.Transition",
                                parameters: [
                                    "caseId": .string("B\(run)-\(index)-\(caseIndex)"),
                                    "event": .string(booked[caseIndex] ? "travel-cancelled" : "travel-booked"),
                                    "requestId": .string(UUID().uuidString),
                                ])
                            booked[caseIndex].toggle()
                            turn += 1
                            caseIndex = owned[turn % owned.count]
                        case .move:
                            _ = try await client.call(
                                "io.casetrack.Tracker.Move",
                                parameters: [
                                    "cohort": .string(cohort), "from": "referred", "to": "prescreened", "persons": 1,
                                    "requestId": .string(UUID().uuidString),
                                ])
                        case .read:
                            _ = try await client.call(
                                "io.casetrack.Tracker.DescribeCohort", parameters: ["id": .string(cohort)])
                        case .status:
                            _ = try await client.call("io.casetrack.Tracker.GetStatus", parameters: nil)
                        }
                        let elapsed = ContinuousClock.now - start
                        mine[kind, default: []].append(
                            Double(elapsed.components.seconds) * 1e6 + Double(elapsed.components.attoseconds) / 1e12)
                    }
                    return mine
                }
            }
            var merged: [Kind: [Double]] = [:]
            for try await part in group { for (kind, values) in part { merged[kind, default: []] += values } }
            return merged
        }
        return latencies
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
        print("clients=\(clients) depth=\(depth) duration=\(String(format: "%.1f", seconds))s mix=\(mix)")
        print("kind        calls      per s     p50 µs     p99 µs    p999 µs     max µs")
        for figure in figures {
            print(
                figure.kind.padding(toLength: 10, withPad: " ", startingAt: 0)
                    + String(format: "%7d %10.0f %10.1f %10.1f %10.1f %10.1f", figure.calls, figure.perSecond,
                        figure.p50Micros, figure.p99Micros, figure.p999Micros, figure.maxMicros))
        }
    }
}
