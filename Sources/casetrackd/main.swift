import NIOCore
import NIOPosix

// Swift concurrency's jobs run on the event loops that do the socket I/O,
// so a call is read, handled and answered without hopping between NIO's
// threads and the concurrency pool's (each hop a futex wake and a context
// switch). Before anything else runs: the hook takes only jobs enqueued
// after it.
Casetrackd.tasksOnEventLoops = NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()

/// In an async function, so that the command's async `main` is the one chosen.
func runCommand() async {
    await Casetrackd.main()
}
await runCommand()
