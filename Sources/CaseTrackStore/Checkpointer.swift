import Foundation
import GRDBSQLite
import Synchronization

/// Copies committed pages from the WAL back into the database file on a
/// thread and connection of its own, so that the writer's commits do not
/// wait for it.
///
/// SQLite checkpoints on the committing connection by default: every
/// thousand pages, one commit paid for reading them back, writing them into
/// the file and syncing it. Here the writer's WAL hook only wakes this
/// thread, which runs a passive checkpoint beside the writer (it takes no
/// lock a commit needs). Once everything is copied back, the writer's next
/// transaction starts the WAL from its beginning again. Should the thread
/// fall far behind, the writer checkpoints itself at ``writerLimit``, as
/// SQLite would have, so the WAL stays bounded.
final class Checkpointer: Sendable {
    /// WAL pages after a commit that wake the checkpointer (32 MiB of 4 KiB
    /// pages: a hot page is copied back once for many commits).
    static let threshold: Int32 = 8000
    /// WAL pages after which the writer checkpoints inline.
    static let writerLimit: Int32 = 40_000
    /// How long the checkpointer rests after a run before it may run again.
    /// A run syncs the WAL and the database file; once the WAL is past the
    /// threshold, a busy writer's every commit asks for one, and without the
    /// rest each run copied a few frames and paid both fsyncs (a fifth of a
    /// core at 6,000 transitions/s, beside a writer that is the bottleneck).
    static let pause: DispatchTimeInterval = .milliseconds(100)

    private struct Connection: @unchecked Sendable { let handle: OpaquePointer }

    private let connection: Connection
    private let wake = DispatchSemaphore(value: 0)
    /// Signalled by `close`, to end a rest early.
    private let stop = DispatchSemaphore(value: 0)
    private let requested = Atomic(false)
    private let closed = Atomic(false)
    private let finished = DispatchSemaphore(value: 0)
    /// Checkpoints run so far, and the last one's failure if it failed.
    private let record = Mutex<(runs: Int, failure: String?)>((0, nil))

    /// Opens a second read-write connection to the store at `path` and
    /// starts the thread.
    init(path: String) throws {
        var handle: OpaquePointer?
        let code = sqlite3_open_v2(path, &handle, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nil)
        guard code == SQLITE_OK, let handle else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "SQLite \(code)"
            sqlite3_close(handle)
            throw StoreError.unavailable("cannot open \(path) for checkpoints: \(message)")
        }
        // What is copied back reaches the disk before the WAL is reused.
        guard sqlite3_exec(handle, "PRAGMA synchronous = FULL", nil, nil, nil) == SQLITE_OK else {
            let message = String(cString: sqlite3_errmsg(handle))
            sqlite3_close(handle)
            throw StoreError.unavailable("cannot prepare \(path) for checkpoints: \(message)")
        }
        connection = Connection(handle: handle)
        let thread = Thread { [self] in
            nameThisThread("store-checkpt")
            run()
        }
        thread.start()
    }

    /// Checkpoints run, and the last failure (nil after a success).
    var status: (runs: Int, failure: String?) { record.withLock { $0 } }

    /// Installs the WAL hook on the writer's connection: commits that leave
    /// ``threshold`` pages in the WAL wake this checkpointer.
    func attach(toWriter writer: OpaquePointer) {
        sqlite3_wal_hook(writer, Self.hook, Unmanaged.passUnretained(self).toOpaque())
    }

    /// Stops the thread and closes its connection; call before the writer's
    /// connection closes, so that the writer's close copies back the rest.
    func close() {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        stop.signal()
        wake.signal()
        finished.wait()
        sqlite3_close(connection.handle)
    }

    private func request() {
        if !requested.exchange(true, ordering: .acquiringAndReleasing) { wake.signal() }
    }

    private func run() {
        while true {
            wake.wait()
            if closed.load(ordering: .acquiring) { break }
            requested.store(false, ordering: .releasing)
            var logged: Int32 = 0
            var copied: Int32 = 0
            let code = sqlite3_wal_checkpoint_v2(
                connection.handle, nil, SQLITE_CHECKPOINT_PASSIVE, &logged, &copied)
            let failure = code == SQLITE_OK ? nil : String(cString: sqlite3_errmsg(connection.handle))
            record.withLock { $0 = ($0.runs + 1, failure) }
            if stop.wait(timeout: .now() + Self.pause) == .success { break }
        }
        finished.signal()
    }

    /// `sqlite3_wal_hook`'s callback, on the writer's thread after each commit.
    private static let hook: @convention(c) (
        UnsafeMutableRawPointer?, OpaquePointer?, UnsafePointer<CChar>?, Int32
    ) -> Int32 = { context, db, name, pages in
        if pages >= writerLimit {
            // As SQLite's own hook does: a failure here is not the commit's.
            sqlite3_wal_checkpoint(db, name)
        } else if pages >= threshold, let context {
            Unmanaged<Checkpointer>.fromOpaque(context).takeUnretainedValue().request()
        }
        return SQLITE_OK
    }
}

/// Names the calling thread as `top -H` and `/proc/PID/task/*/comm` show it
/// (at most 15 bytes); Foundation's `Thread.name` does not reach the kernel
/// here, and `pthread_setname_np` is not in Swift's Glibc module.
func nameThisThread(_ name: String) {
    let fd = open("/proc/thread-self/comm", O_WRONLY | O_CLOEXEC)
    guard fd >= 0 else { return }
    let bytes = Array(name.utf8.prefix(15))
    _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    close(fd)
}
