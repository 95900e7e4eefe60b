import Foundation
import Testing

@testable import Systemd

@Suite("Choosing a passed socket by name")
struct ListenFDsSelectionTests {
    typealias Descriptor = ListenFDs.Descriptor

    @Test("the socket with the asked name wins")
    func byName() {
        let passed = [Descriptor(fd: 3, name: "metrics"), Descriptor(fd: 4, name: "varlink")]
        #expect(ListenFDs.select(named: "varlink", from: passed)?.fd == 4)
        #expect(ListenFDs.select(named: "other", from: passed) == nil)
    }

    @Test(
        "a lone socket without a deliberate name is taken",
        arguments: ["unknown", "", "casetrackd.socket"])
    func loneUnnamed(name: String) {
        #expect(ListenFDs.select(named: "varlink", from: [Descriptor(fd: 3, name: name)])?.fd == 3)
    }

    @Test("a lone socket named for something else is not taken; several unnamed ones are ambiguous")
    func notTaken() {
        #expect(ListenFDs.select(named: "varlink", from: [Descriptor(fd: 3, name: "metrics")]) == nil)
        #expect(
            ListenFDs.select(
                named: "varlink",
                from: [Descriptor(fd: 3, name: "unknown"), Descriptor(fd: 4, name: "unknown")]) == nil)
        #expect(ListenFDs.select(named: "varlink", from: []) == nil)
    }
}

extension ProcessEnvironmentTests {
    /// systemd passes sockets at descriptors 3, 4, …, but in the test process those numbers
    /// belong to the runtime (its epoll instance). So each scenario runs this test binary again
    /// as a child, with real sockets at 3 and 4 and the `LISTEN_*` variables a socket unit
    /// sets (`LISTEN_PID` by a shell that then `exec`s, keeping its pid), and runs
    /// ``ListenFDsChildProcess`` there.
    @Suite("Socket activation through sd_listen_fds_with_names")
    struct ListenFDsTests {
        @Test("systemd passes two named sockets: the daemon takes its own, the other is closed")
        func twoNamedSockets() throws {
            try runChild(
                scenario: "two-named",
                environment: ["LISTEN_FDS": "2", "LISTEN_FDNAMES": "metrics:varlink"])
        }

        @Test("a socket unit without FileDescriptorName= still activates the daemon")
        func unnamedSocket() throws {
            try runChild(scenario: "unnamed", environment: ["LISTEN_FDS": "1"])
        }

        @Test("variables meant for another process are ignored")
        func otherProcess() throws {
            try runChild(
                scenario: "other-pid", environment: ["LISTEN_FDS": "1", "LISTEN_FDNAMES": "varlink"])
        }

        func runChild(scenario: String, environment: [String: String]) throws {
            var inherited = ProcessInfo.processInfo.environment
            for name in ["LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"] { inherited[name] = nil }
            inherited.merge(environment) { _, new in new }
            inherited[ListenFDsChildProcess.scenarioVariable] = scenario

            let sockets = [
                socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0),
                socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0),
            ]
            defer { for fd in sockets { close(fd) } }
            try #require(sockets.allSatisfy { $0 >= 0 })

            let arguments = [
                "/bin/sh", "-c", #"LISTEN_PID=$$; export LISTEN_PID; exec "$0" "$@""#,
                CommandLine.arguments[0], "--testing-library", "swift-testing", "--filter",
                "listenFDsChildProcess",
            ]
            let result = try spawn(
                arguments, environment: inherited, placing: [(sockets[0], 3), (sockets[1], 4)],
                timeout: .seconds(60))
            #expect(result.status == 0, "child run failed:\n\(result.output)")
            #expect(
                result.output.contains("LISTENFDS-CHILD-OK \(scenario)"),
                "child did not run the scenario:\n\(result.output)")
        }
    }
}

func listenFDsChildRequested() -> Bool {
    getenv(ListenFDsChildProcess.scenarioVariable) != nil
}

/// The child side of ``ProcessEnvironmentTests/ListenFDsTests``: runs only in a child process
/// started with sockets at descriptors 3 and 4.
@Suite("Socket activation, in the activated child", .enabled(if: listenFDsChildRequested()))
struct ListenFDsChildProcess {
    static let scenarioVariable = "CASETRACK_LISTENFDS_SCENARIO"

    @Test func listenFDsChildProcess() throws {
        let scenario = String(cString: try #require(getenv(Self.scenarioVariable)))
        switch scenario {
        case "two-named":
            #expect(ListenFDs.take(named: "varlink") == 4)
            #expect(fcntl(3, F_GETFD) == -1, "the unused socket was closed")
            #expect(fcntl(4, F_GETFD) & FD_CLOEXEC != 0, "the taken socket is close-on-exec")
            #expect(
                getenv("LISTEN_FDS") == nil && getenv("LISTEN_PID") == nil
                    && getenv("LISTEN_FDNAMES") == nil)
            #expect(ListenFDs.takeAll().isEmpty, "the environment is consumed")
        case "unnamed":
            #expect(ListenFDs.takeAll() == [ListenFDs.Descriptor(fd: 3, name: "unknown")])
        case "other-pid":
            setenv("LISTEN_PID", String(getpid() + 1), 1)
            #expect(ListenFDs.take(named: "varlink") == nil)
            #expect(fcntl(3, F_GETFD) != -1, "a descriptor not passed to us is left alone")
        default:
            Issue.record("unknown scenario \(scenario)")
        }
        print("LISTENFDS-CHILD-OK \(scenario)")
    }
}

/// Runs `arguments` with `placing` descriptors duplicated to the given numbers, collecting
/// standard output and error; kills the child after `timeout`.
func spawn(
    _ arguments: [String],
    environment: [String: String],
    placing: [(fd: Int32, at: Int32)],
    timeout: Duration
) throws -> (status: Int32, output: String) {
    // A socket pair rather than a pipe: it is created close-on-exec atomically, so processes
    // spawned concurrently elsewhere cannot inherit the write end and delay end-of-file.
    var pipeFDs: [Int32] = [0, 0]
    let paired = socketpair(
        AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &pipeFDs)
    try #require(paired == 0)
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_adddup2(&actions, pipeFDs[1], 1)
    posix_spawn_file_actions_adddup2(&actions, pipeFDs[1], 2)
    for (fd, target) in placing {
        posix_spawn_file_actions_adddup2(&actions, fd, target)
    }

    let argv = arguments.map { strdup($0) } + [nil]
    let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer {
        for pointer in argv + envp { free(pointer) }
    }
    var pid: pid_t = 0
    let spawned = posix_spawn(&pid, arguments[0], &actions, nil, argv, envp)
    close(pipeFDs[1])
    defer { close(pipeFDs[0]) }
    try #require(spawned == 0, "posix_spawn: \(spawned)")

    var output: [UInt8] = []
    let deadline = ContinuousClock.now + timeout
    var buffer = [UInt8](repeating: 0, count: 65536)
    while ContinuousClock.now < deadline {
        var poller = pollfd(fd: pipeFDs[0], events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, 200) >= 0 || errno == EINTR else { break }
        guard poller.revents != 0 else { continue }
        let count = read(pipeFDs[0], &buffer, buffer.count)
        if count > 0 {
            output += buffer[..<count]
        } else if count == 0 || errno != EINTR {
            break
        }
    }
    var status: Int32 = 0
    while waitpid(pid, &status, WNOHANG) == 0 {
        if ContinuousClock.now >= deadline {
            kill(pid, SIGKILL)
            waitpid(pid, &status, 0)
            return (-1, String(decoding: output, as: UTF8.self) + "\n(killed after \(timeout))")
        }
        usleep(10_000)
    }
    let exited = status & 0x7f == 0
    return (
        exited ? (status >> 8) & 0xff : -1,
        String(decoding: output, as: UTF8.self) + "\n(wait status \(status))"
    )
}
