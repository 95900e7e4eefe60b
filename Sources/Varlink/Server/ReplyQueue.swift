import NIOCore
import Synchronization

/// Puts one connection's replies on the wire in the order of its calls.
///
/// Calls on a connection may be handled concurrently, but Varlink matches
/// replies to calls by order. Every call that expects a reply takes a slot;
/// the oldest open slot is the head, whose replies are written at once. A
/// later call's final reply waits in its slot until every earlier call has
/// sent its own final reply; a later `more` call's intermediate replies wait
/// (the sender is suspended) until its slot is the head, so a stream never
/// buffers more than one message per call.
///
/// The queue also counts the calls in flight (handlers running or replies
/// not yet written) to bound them per connection, and the bytes of replies
/// handed to the channel but not yet taken by the socket: a client that does
/// not read its replies stops having its calls admitted (and so read) once
/// `maxUnsentBytes` are waiting, instead of growing the server's memory.
final class ReplyQueue: Sendable {
    private let channel: any Channel
    private let maxInFlight: Int
    private let maxUnsentBytes: Int
    private let state: Mutex<State>
    /// Messages the event loop passed on to the connection's reading task
    /// that it has not yet taken in (admitted or answered).
    private let forwarded = Atomic<Int>(0)

    /// A call's place in the reply order.
    struct Slot: Sendable {
        var id: Int
        /// Final replies sent while not the head (at most one).
        var buffered: ByteBuffer?
        /// The final reply has been sent (or the call was abandoned).
        var finished = false
        /// A streaming sender suspended until this slot is the head.
        var headWaiter: CheckedContinuation<Void, Never>?
    }

    /// What the connection is waiting for before it closes.
    enum Drain: Sendable {
        /// Not closing.
        case none
        /// The client stopped sending: wait for every call to be answered.
        case answerAll
        /// The server stops or the client broke the protocol: wait for the
        /// handlers of calls other than `more` calls, then cancel the rest.
        case finishShortCalls
    }

    struct State: Sendable {
        /// Open slots, oldest (the head) first.
        var slots = CircularBuffer<Slot>(initialCapacity: 8)
        var nextID = 0
        /// Calls accepted and not yet complete.
        var inFlight = 0
        /// Bytes of final replies written to the channel and not yet to the socket.
        var unsentBytes = 0
        /// Handlers of non-`more` calls still running.
        var runningShortCalls = 0
        var drain = Drain.none
        var isClosed = false
        var capacityWaiter: CheckedContinuation<Void, Never>?
        var drainWaiter: CheckedContinuation<Void, Never>?
        /// Waits for `unsentBytes` to reach 0 before the connection closes.
        var writtenWaiter: CheckedContinuation<Void, Never>?

        var drainIsComplete: Bool {
            switch drain {
            case .none: return false
            case .answerAll: return inFlight == 0
            case .finishShortCalls: return runningShortCalls == 0
            }
        }

        func index(of id: Int) -> Int? {
            guard let first = slots.first else { return nil }
            let index = id - first.id
            return index >= 0 && index < slots.count ? index : nil
        }
    }

    init(channel: any Channel, maxInFlight: Int, maxUnsentBytes: Int) {
        self.channel = channel
        self.maxInFlight = max(1, maxInFlight)
        self.maxUnsentBytes = max(1, maxUnsentBytes)
        self.state = Mutex(State())
    }

    private func hasCapacity(_ state: State) -> Bool {
        state.inFlight < maxInFlight && state.unsentBytes < maxUnsentBytes
    }

    /// True when no call is in flight: the connection may be closed as idle.
    var isIdle: Bool {
        state.withLock { $0.inFlight == 0 }
    }

    // MARK: Admitting calls

    /// Waits until fewer than the allowed calls are in flight, then counts a
    /// new one, with its slot id (nil for a oneway call, which takes no
    /// slot). Returns `.cancelled` if the task is cancelled while waiting or
    /// the connection is closing.
    func admit(expectsReply: Bool, isShort: Bool) async -> Admission {
        while true {
            let admission: Admission? = state.withLock { state in
                if case .finishShortCalls = state.drain { return .cancelled }
                guard hasCapacity(state) else { return nil }
                state.inFlight += 1
                if isShort { state.runningShortCalls += 1 }
                guard expectsReply else { return .admitted(slot: nil) }
                let id = state.nextID
                state.nextID += 1
                state.slots.append(Slot(id: id))
                return .admitted(slot: id)
            }
            if let admission { return admission }
            if Task.isCancelled { return .cancelled }
            await withTaskCancellationHandler {
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    let resumeNow = state.withLock { state -> Bool in
                        if hasCapacity(state) || Task.isCancelled { return true }
                        if case .finishShortCalls = state.drain { return true }
                        state.capacityWaiter = continuation
                        return false
                    }
                    if resumeNow { continuation.resume() }
                }
            } onCancel: {
                state.withLock { $0.takeCapacityWaiter() }?.resume()
            }
        }
    }

    enum Admission: Equatable {
        case admitted(slot: Int?)
        case cancelled
    }

    // MARK: Answering on the event loop

    /// The event loop passed a message on to the connection's reading task.
    func messageForwarded() {
        forwarded.add(1, ordering: .relaxed)
    }

    /// The reading task took in a forwarded message: admitted its call, or
    /// answered it itself. (A message that stops the connection is never
    /// taken in, so nothing is answered after it.)
    func messageTakenIn() {
        forwarded.subtract(1, ordering: .releasing)
    }

    /// Takes the connection for a call the event loop answers as it reads
    /// it, if nothing is ahead of that call: no message waiting for the
    /// reading task, no call in flight, no reply still on its way to the
    /// socket, the connection not closing. The reply is then the next
    /// message on the wire; `finishImmediate` writes it.
    func beginImmediate() -> Bool {
        // Taken in only after admitting: a call read in that the lock below
        // does not show as in flight was answered and counted as unsent.
        guard forwarded.load(ordering: .acquiring) == 0 else { return false }
        return state.withLock { state in
            guard state.inFlight == 0, state.unsentBytes == 0, !state.isClosed, case .none = state.drain else {
                return false
            }
            state.inFlight = 1
            state.runningShortCalls += 1
            return true
        }
    }

    /// Writes the reply of the call begun with `beginImmediate` (none when
    /// the event loop left the call to the reading task after all); on the
    /// connection's event loop.
    func finishImmediate(_ message: ByteBuffer?) {
        let (written, resume) = state.withLock { state in
            state.inFlight -= 1
            state.runningShortCalls -= 1
            let written = message.map { account($0.readableBytes, state: &state) }
            return (written, state.takeWaitersAfterRelease())
        }
        if let message, let written {
            channel.writeAndFlush(message, promise: written)
        }
        for continuation in resume { continuation.resume() }
    }

    /// Gives the call begun with `beginImmediate` a slot instead, for a
    /// reply that `finishStarted` sends later.
    func slotForStarted() -> Int {
        state.withLock { state in
            let id = state.nextID
            state.nextID += 1
            state.slots.append(Slot(id: id))
            return id
        }
    }

    /// A call given a slot by `slotForStarted` has ended
    /// with `message` as its final reply (none: it could not be encoded).
    func finishStarted(slot id: Int, reply message: ByteBuffer?) {
        let resume = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            var resume: [CheckedContinuation<Void, Never>] = []
            if !state.isClosed, let index = state.index(of: id), !state.slots[offset: index].finished {
                resume = close(slotAt: index, reply: message, state: &state)
            }
            state.runningShortCalls -= 1
            if let waiter = state.takeDrainWaiterIfComplete() { resume.append(waiter) }
            return resume
        }
        for continuation in resume { continuation.resume() }
    }

    // MARK: Sending replies

    enum SendError: Error {
        case connectionClosed
        case alreadyFinished
    }

    /// Sends one reply of the call in `slot`. A final reply closes the slot.
    func send(_ message: ByteBuffer, slot id: Int, final: Bool) async throws(SendError) {
        while true {
            let action = state.withLock { state -> SendAction in
                if state.isClosed { return .fail(.connectionClosed) }
                guard let index = state.index(of: id), !state.slots[offset: index].finished else {
                    return .fail(.alreadyFinished)
                }
                if final {
                    return .done(resume: self.close(slotAt: index, reply: message, state: &state))
                }
                if index == 0 {
                    return .awaitWrite(channel.writeAndFlush(message))
                }
                return .waitForHead
            }
            switch action {
            case .done(let resume):
                for continuation in resume { continuation.resume() }
                return
            case .fail(let error):
                throw error
            case .awaitWrite(let future):
                do {
                    try await future.get()
                } catch {
                    throw .connectionClosed
                }
                return
            case .waitForHead:
                await waitUntilHead(id)
            }
        }
    }

    /// Closes `slot` without a (further) reply: the handler was cancelled
    /// while the connection closes. Later calls' replies are released.
    func abandon(slot id: Int) {
        let resume = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            guard let index = state.index(of: id), !state.slots[offset: index].finished else { return [] }
            return close(slotAt: index, reply: nil, state: &state)
        }
        for continuation in resume { continuation.resume() }
    }

    /// Closes the open slot at `index` with `message` as its final reply
    /// (none: no reply): written now if the slot is the head, else kept until
    /// it is. Under the lock; returns the waiters to resume after it.
    private func close(
        slotAt index: Int, reply message: ByteBuffer?, state: inout State
    ) -> [CheckedContinuation<Void, Never>] {
        if index == 0 {
            return writeHeadAndReleased(message, state: &state)
        }
        state.slots[offset: index].buffered = message
        state.slots[offset: index].finished = true
        return []
    }

    /// Whether the call in `slot` has not sent its final reply yet.
    func isOpen(slot id: Int) -> Bool {
        state.withLock { state in
            guard let index = state.index(of: id) else { return false }
            return !state.slots[offset: index].finished
        }
    }

    /// A oneway call's handler returned: it is no longer in flight.
    func onewayCompleted() {
        let resume = state.withLock { state in
            state.inFlight -= 1
            return state.takeWaitersAfterRelease()
        }
        for continuation in resume { continuation.resume() }
    }

    /// A non-`more` call's handler returned (its reply may still be queued).
    func shortCallReturned() {
        let resume = state.withLock { state in
            state.runningShortCalls -= 1
            return state.takeDrainWaiterIfComplete().map { [$0] } ?? []
        }
        for continuation in resume { continuation.resume() }
    }

    private enum SendAction {
        case done(resume: [CheckedContinuation<Void, Never>])
        case fail(SendError)
        case awaitWrite(EventLoopFuture<Void>)
        case waitForHead
    }

    /// Writes the head's final reply (if any) and every reply queued behind
    /// it up to the next open slot, then pops the finished slots. Runs under
    /// the lock, so writes are issued in slot order. Returns the waiters to
    /// resume once the lock is released.
    private func writeHeadAndReleased(
        _ message: ByteBuffer?,
        state: inout State
    ) -> [CheckedContinuation<Void, Never>] {
        state.slots.removeFirst()
        state.inFlight -= 1
        var batch: [ByteBuffer] = []
        if let message { batch.append(message) }
        while let next = state.slots.first, next.finished {
            if let buffered = next.buffered { batch.append(buffered) }
            state.slots.removeFirst()
            state.inFlight -= 1
        }
        write(batch, state: &state)
        var resume = state.takeWaitersAfterRelease()
        if let waiter = state.slots.first?.headWaiter {
            state.slots[state.slots.startIndex].headWaiter = nil
            resume.append(waiter)
        }
        return resume
    }

    private func write(_ batch: [ByteBuffer], state: inout State) {
        guard !batch.isEmpty else { return }
        let written = account(batch.reduce(0) { $0 + $1.readableBytes }, state: &state)
        // Always from the event loop's queue: a write completed inline would
        // run the promise's callback under this lock.
        let channel = self.channel
        channel.eventLoop.execute {
            for message in batch.dropLast() {
                channel.write(message, promise: nil)
            }
            // Writes complete in order: the last one's promise covers the batch.
            channel.writeAndFlush(batch[batch.count - 1], promise: written)
        }
    }

    /// Counts `bytes` about to be written as unsent until the returned
    /// promise completes (with the write of the last of them).
    private func account(_ bytes: Int, state: inout State) -> EventLoopPromise<Void> {
        state.unsentBytes += bytes
        let written = channel.eventLoop.makePromise(of: Void.self)
        written.futureResult.whenComplete { [self] _ in
            let resume = self.state.withLock { state -> [CheckedContinuation<Void, Never>] in
                state.unsentBytes -= bytes
                var resume: [CheckedContinuation<Void, Never>] = []
                if hasCapacity(state), let waiter = state.takeCapacityWaiter() { resume.append(waiter) }
                if state.unsentBytes == 0, let waiter = state.writtenWaiter {
                    state.writtenWaiter = nil
                    resume.append(waiter)
                }
                return resume
            }
            for continuation in resume { continuation.resume() }
        }
        return written
    }

    private func waitUntilHead(_ id: Int) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = state.withLock { state -> Bool in
                guard !state.isClosed, let index = state.index(of: id), index > 0 else { return true }
                state.slots[offset: index].headWaiter = continuation
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }

    // MARK: Closing

    /// Starts closing: `drain` says what to wait for (see `waitForDrain`).
    /// A stricter drain replaces a gentler one.
    func beginDrain(_ drain: Drain) {
        let resume = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            switch (state.drain, drain) {
            case (.finishShortCalls, _), (_, .none): return []
            case (.none, _), (.answerAll, .finishShortCalls): state.drain = drain
            case (.answerAll, .answerAll): return []
            }
            var resume: [CheckedContinuation<Void, Never>] = []
            if case .finishShortCalls = drain, let waiter = state.takeCapacityWaiter() {
                // The reader stops admitting calls.
                resume.append(waiter)
            }
            if let waiter = state.takeDrainWaiterIfComplete() { resume.append(waiter) }
            return resume
        }
        for continuation in resume { continuation.resume() }
    }

    /// Waits until the drain begun by `beginDrain` is complete, or the task is
    /// cancelled, and tells which drain it was.
    func waitForDrain() async -> Drain {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    if state.drainIsComplete || state.isClosed || Task.isCancelled { return true }
                    state.drainWaiter = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            state.withLock { state -> CheckedContinuation<Void, Never>? in
                defer { state.drainWaiter = nil }
                return state.drainWaiter
            }?.resume()
        }
        return state.withLock { $0.drain }
    }

    /// Waits until every reply handed to the channel has reached the socket
    /// (so that closing does not cut the last ones short), the connection
    /// closes, or `limit` passes (a client that does not read them).
    func waitUntilWritten(limit: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.waitForWrites() }
            group.addTask { try? await Task.sleep(for: limit) }
            await group.next()
            group.cancelAll()
        }
    }

    private func waitForWrites() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    if state.unsentBytes == 0 || state.isClosed || Task.isCancelled { return true }
                    state.writtenWaiter = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            state.withLock { state -> CheckedContinuation<Void, Never>? in
                defer { state.writtenWaiter = nil }
                return state.writtenWaiter
            }?.resume()
        }
    }

    /// The connection is closed: replies can no longer be sent and every
    /// suspended sender is resumed (to fail).
    func close() {
        let resume = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.isClosed = true
            var resume: [CheckedContinuation<Void, Never>] = []
            for index in state.slots.indices {
                if let waiter = state.slots[index].headWaiter {
                    resume.append(waiter)
                    state.slots[index].headWaiter = nil
                }
            }
            if let waiter = state.takeCapacityWaiter() { resume.append(waiter) }
            if let waiter = state.drainWaiter {
                resume.append(waiter)
                state.drainWaiter = nil
            }
            if let waiter = state.writtenWaiter {
                resume.append(waiter)
                state.writtenWaiter = nil
            }
            return resume
        }
        for continuation in resume { continuation.resume() }
    }
}

extension ReplyQueue.State {
    mutating func takeCapacityWaiter() -> CheckedContinuation<Void, Never>? {
        defer { capacityWaiter = nil }
        return capacityWaiter
    }

    mutating func takeDrainWaiterIfComplete() -> CheckedContinuation<Void, Never>? {
        guard drainIsComplete, let waiter = drainWaiter else { return nil }
        drainWaiter = nil
        return waiter
    }

    /// The waiters to resume after calls left flight.
    mutating func takeWaitersAfterRelease() -> [CheckedContinuation<Void, Never>] {
        var resume: [CheckedContinuation<Void, Never>] = []
        if let waiter = takeCapacityWaiter() { resume.append(waiter) }
        if let waiter = takeDrainWaiterIfComplete() { resume.append(waiter) }
        return resume
    }
}
