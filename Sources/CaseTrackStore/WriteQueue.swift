import CaseTrackCore
import Dispatch
import Synchronization

/// Mutations waiting for the writer, taken a batch at a time.
final class WriteQueue: Sendable {
    struct Pending: Sendable {
        var mutation: Mutation
        var context: MutationContext
        /// Called once, on the writer's thread, when the mutation is durable
        /// or refused.
        var completion: @Sendable (Result<MutationResult, any Error>) -> Void
    }

    private struct State {
        var items: [Pending] = []
        /// The writer's thread sleeps on `wake` until there is work.
        var writerIsWaiting = false
        var closed = false
    }

    private let state = Mutex(State())
    private let wake = DispatchSemaphore(value: 0)

    /// Queues a mutation; false once the queue is closed.
    func enqueue(_ pending: Pending) -> Bool {
        let (accepted, wakeWriter) = state.withLock { state -> (Bool, Bool) in
            guard !state.closed else { return (false, false) }
            state.items.append(pending)
            defer { state.writerIsWaiting = false }
            return (true, state.writerIsWaiting)
        }
        if wakeWriter { wake.signal() }
        return accepted
    }

    /// Stops accepting; the writer still drains what is queued.
    func close() {
        let wakeWriter = state.withLock { state in
            state.closed = true
            defer { state.writerIsWaiting = false }
            return state.writerIsWaiting
        }
        if wakeWriter { wake.signal() }
    }

    /// Blocks the calling thread (the writer's own) until there is work,
    /// and takes up to `max` items; nil once closed and drained.
    func next(max: Int) -> [Pending]? {
        while true {
            let batch = state.withLock { state -> [Pending]?? in
                if state.items.isEmpty {
                    if state.closed { return .some(nil) }
                    state.writerIsWaiting = true
                    return nil
                }
                if state.items.count <= max {
                    defer { state.items = [] }
                    return state.items
                }
                let batch = Array(state.items.prefix(max))
                state.items.removeFirst(max)
                return batch
            }
            if let batch { return batch }
            wake.wait()
        }
    }
}
