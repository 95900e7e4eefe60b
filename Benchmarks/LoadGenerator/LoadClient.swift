import CaseTrackCore
import Glibc

/// One client of the load, run on an OS thread of its own: `depth`
/// connections (slots), each keeping exactly one call in flight until the
/// deadline, and the latency of every call, in microseconds by kind.
///
/// Slot s owns the client's cases s, s + depth, s + 2·depth, … and takes
/// them in turn; each transition books travel for a case that has none and
/// cancels it for one that has.
struct LoadClient {
    private var slots: [Slot]
    private let mix: Mix
    private let caseIdPrefix: String
    private let describeCohort: String
    private let moveParameters: String
    private var random: SplitMix64
    private let requestIds: RequestIDs
    private var latencies: [LoadGenerator.Kind: [Double]] = [:]

    /// The kind of request ids the client sends with its mutations.
    enum RequestIDs {
        /// As casetrackctl makes them (`RequestID`, UUID version 7).
        case timeOrdered
        /// Random, UUID version 4.
        case random
    }

    /// A connection and the cases it owns.
    private struct Slot {
        var connection: BlockingConnection
        let owned: [Int]
        var turn = 0
        var booked: [Bool]
        var inFlight = LoadGenerator.Kind.status
        var started: UInt64 = 0
    }

    /// A client numbered `index` of the run `run`, whose cases are in
    /// `cohort` and named `B<run>-<index>-<n>` for n below `casesPerClient`.
    init(
        index: Int, run: String, cohort: String, connections: [BlockingConnection], casesPerClient: Int,
        weights: [(LoadGenerator.Kind, Int)], requestIds: RequestIDs
    ) {
        let depth = connections.count
        slots = connections.enumerated().map { slot, connection in
            Slot(
                connection: connection,
                owned: Array(stride(from: slot, to: casesPerClient, by: depth)),
                booked: [Bool](repeating: false, count: casesPerClient))
        }
        mix = Mix(weights)
        caseIdPrefix = "B\(run)-\(index)-"
        describeCohort = #"{"method":"io.casetrack.Tracker.DescribeCohort","parameters":{"id":"\#(cohort)"}}"# + "\0"
        moveParameters = #""cohort":"\#(cohort)","from":"referred","to":"prescreened","persons":1"#
        var seed = SystemRandomNumberGenerator()
        random = SplitMix64(state: seed.next())
        self.requestIds = requestIds
        for (kind, weight) in weights where weight > 0 {
            latencies[kind, default: []].reserveCapacity(1 << 16)
        }
    }

    /// Drives the daemon until `deadline` (monotonic nanoseconds): no call
    /// starts after it. Returns each kind's latencies; throws at the first
    /// error reply or broken connection.
    mutating func run(until deadline: UInt64) throws(BenchFailure) -> [LoadGenerator.Kind: [Double]] {
        for slot in slots.indices { try start(slot) }
        if slots.count == 1 {
            while true {
                while try !slots[0].connection.receive() {}
                guard try finish(0, deadline: deadline) else { break }
            }
        } else {
            var polled = slots.map { pollfd(fd: $0.connection.descriptor, events: Int16(POLLIN), revents: 0) }
            var open = slots.count
            while open > 0 {
                if poll(&polled, nfds_t(polled.count), -1) < 0 {
                    if errno == EINTR { continue }
                    throw .poll(errno: errno)
                }
                for slot in polled.indices where polled[slot].revents != 0 {
                    guard try slots[slot].connection.receive() else { continue }
                    if try !finish(slot, deadline: deadline) {
                        polled[slot].fd = -1  // poll skips it from now on
                        open -= 1
                    }
                }
            }
        }
        for slot in slots { slot.connection.close() }
        return latencies
    }

    /// Records the latency of the call just answered on `slot` and starts
    /// the next one unless the deadline has passed; returns whether it did.
    private mutating func finish(_ slot: Int, deadline: UInt64) throws(BenchFailure) -> Bool {
        let now = monotonicNanoseconds()
        latencies[slots[slot].inFlight, default: []].append(Double(now - slots[slot].started) / 1000)
        guard now < deadline else { return false }
        try start(slot)
        return true
    }

    private mutating func start(_ slot: Int) throws(BenchFailure) {
        let kind = mix.pick(using: &random)
        let message: String
        switch kind {
        case .transition:
            let caseIndex = slots[slot].owned[slots[slot].turn]
            let event = slots[slot].booked[caseIndex] ? "travel-cancelled" : "travel-booked"
            slots[slot].booked[caseIndex].toggle()
            slots[slot].turn = (slots[slot].turn + 1) % slots[slot].owned.count
            let requestId = nextRequestId()
            message =
                #"{"method":"io.casetrack.Tracker.Transition","parameters":{"#
                + #""caseId":"\#(caseIdPrefix)\#(caseIndex)","event":"\#(event)","requestId":"\#(requestId)"}}"# + "\0"
        case .move:
            let requestId = nextRequestId()
            message =
                #"{"method":"io.casetrack.Tracker.Move","parameters":{\#(moveParameters),"requestId":"\#(requestId)"}}"#
                + "\0"
        case .read:
            message = describeCohort
        case .status, .echo:  // (--mix takes no echo)
            message = #"{"method":"io.casetrack.Tracker.GetStatus"}"# + "\0"
        }
        slots[slot].inFlight = kind
        slots[slot].started = monotonicNanoseconds()
        try slots[slot].connection.send(message)
    }

    /// A request id of the kind asked for: 122 random bits, or 74 and the
    /// time, unique across clients and runs either way.
    private mutating func nextRequestId() -> String {
        switch requestIds {
        case .timeOrdered:
            return RequestID.make(at: .now(), using: &random)
        case .random:
            return RequestID.random(using: &random)
        }
    }
}

/// The weights of the call kinds, and a draw from them.
private struct Mix {
    let weights: [(LoadGenerator.Kind, Int)]
    let total: UInt64

    init(_ weights: [(LoadGenerator.Kind, Int)]) {
        self.weights = weights
        total = UInt64(weights.reduce(0) { $0 + $1.1 })
    }

    /// A kind drawn with its weight's share; the first kind if all weigh nothing.
    func pick(using random: inout SplitMix64) -> LoadGenerator.Kind {
        guard total > 0, weights.count > 1 else { return weights[0].0 }
        var pick = Int(random.next() % total)
        for (kind, weight) in weights {
            if pick < weight { return kind }
            pick -= weight
        }
        return weights[0].0
    }
}

/// A small, fast generator for picking call kinds: SystemRandomNumberGenerator
/// costs a system call per number.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// CLOCK_MONOTONIC in nanoseconds.
func monotonicNanoseconds() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
}
