import CaseTrackCore
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
        var waiter: CheckedContinuation<Void, Never>?
        var closed = false
    }

    private let state = Mutex(State())

    /// Queues a mutation; false once the queue is closed.
    func enqueue(_ pending: Pending) -> Bool {
        let (accepted, waiter) = state.withLock { state -> (Bool, CheckedContinuation<Void, Never>?) in
            guard !state.closed else { return (false, nil) }
            state.items.append(pending)
            defer { state.waiter = nil }
            return (true, state.waiter)
        }
        waiter?.resume()
        return accepted
    }

    /// Stops accepting; the writer still drains what is queued.
    func close() {
        let waiter = state.withLock { state in
            state.closed = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    var count: Int { state.withLock { $0.items.count } }

    /// Waits for work and takes up to `max` items; nil once closed and drained.
    func next(max: Int) async -> [Pending]? {
        while true {
            let batch = state.withLock { state -> [Pending]? in
                guard !state.items.isEmpty else { return nil }
                if state.items.count <= max {
                    defer { state.items = [] }
                    return state.items
                }
                let batch = Array(state.items.prefix(max))
                state.items.removeFirst(max)
                return batch
            }
            if let batch { return batch }
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                state.withLock { state in
                    if !state.items.isEmpty || state.closed {
                        continuation.resume()
                    } else {
                        state.waiter = continuation
                    }
                }
            }
            if state.withLock({ $0.closed && $0.items.isEmpty }) { return nil }
        }
    }
}
