import Dispatch
import Glibc
import Synchronization

/// Sends journal entries from one background queue, in order, so that a
/// journald that stops reading its socket (stuck, or restarting behind a
/// socket the service manager holds) holds up that queue and never the
/// thread that logs. While `capacity` entries wait, `submit` refuses, and
/// the caller writes the record to stderr instead.
final class JournalQueue: Sendable {
    /// The queue of the process's journal handlers; drained (for up to two
    /// seconds) when the process exits.
    static let shared: JournalQueue = {
        let queue = JournalQueue(capacity: 4096)
        atexit { JournalQueue.shared.drain(timeout: .seconds(2)) }
        return queue
    }()

    let capacity: Int
    private let queue = DispatchQueue(label: "casetrack.journal")
    private let pending = Atomic<Int>(0)

    init(capacity: Int) {
        self.capacity = capacity
    }

    /// Queues `send`; false when `capacity` entries already wait.
    func submit(_ send: @escaping @Sendable () -> Void) -> Bool {
        guard pending.add(1, ordering: .relaxed).newValue <= capacity else {
            pending.subtract(1, ordering: .relaxed)
            return false
        }
        queue.async {
            send()
            self.pending.subtract(1, ordering: .relaxed)
        }
        return true
    }

    /// Waits up to `timeout` for the entries queued so far to be sent.
    func drain(timeout: DispatchTimeInterval) {
        let done = DispatchSemaphore(value: 0)
        queue.async { done.signal() }
        _ = done.wait(timeout: .now() + timeout)
    }
}
