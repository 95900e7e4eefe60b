import Foundation
import Testing

/// Where the built binaries are: `$CASETRACK_BIN_DIR`, else `.build/debug`.
enum Binaries {
    static let directory: String = {
        if let dir = ProcessInfo.processInfo.environment["CASETRACK_BIN_DIR"] { return dir }
        return packageRoot + "/.build/debug"
    }()
    static let packageRoot: String = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().path
    static var daemon: String { directory + "/casetrackd" }
    static var control: String { directory + "/casetrackctl" }
    static var bench: String { directory + "/casetrack-bench" }
    static var pipelines: String { packageRoot + "/Config/pipelines" }
}

/// A scratch directory removed when the test is done with it.
final class Scratch {
    let path: String

    init(_ name: String = "casetrack") throws {
        let template = NSTemporaryDirectory() + "\(name)-XXXXXX"
        var bytes = Array(template.utf8CString)
        guard mkdtemp(&bytes) != nil else { throw POSIXError(.EIO) }
        path = String(decoding: bytes.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func file(_ name: String) -> String { path + "/" + name }
}

/// A real casetrackd on a private socket and store.
final class DaemonProcess {
    let scratch: Scratch
    let socket: String
    let stateDirectory: String
    let process = Process()
    let stderrPipe = Pipe()
    var extraArguments: [String]

    init(scratch: Scratch, configuration: String? = nil, extraArguments: [String] = []) throws {
        self.scratch = scratch
        self.socket = scratch.file("tracker.sock")
        self.stateDirectory = scratch.file("state")
        self.extraArguments = extraArguments
        process.executableURL = URL(fileURLWithPath: Binaries.daemon)
        var arguments = [
            "--socket", socket, "--state-dir", stateDirectory, "--pipelines-dir", Binaries.pipelines,
            "--log-target", "stderr", "--log-level", "notice",
        ]
        if let configuration {
            let path = scratch.file("casetrackd.yaml")
            try configuration.write(toFile: path, atomically: true, encoding: .utf8)
            arguments += ["--config", path]
        }
        process.arguments = arguments + extraArguments
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "NOTIFY_SOCKET")
        environment.removeValue(forKey: "LISTEN_FDS")
        environment.removeValue(forKey: "INVOCATION_ID")
        environment.removeValue(forKey: "JOURNAL_STREAM")
        process.environment = environment
        process.standardError = stderrPipe
        process.standardOutput = FileHandle.nullDevice
    }

    /// When `start` was called, in whole seconds since the epoch, rounded down.
    private(set) var startedAt = 0

    /// journalctl's match for this daemon's entries: its PID, from when it
    /// started (the journal outlives test runs, and PIDs are reused).
    var journalMatch: [String] {
        ["_PID=\(process.processIdentifier)", "--since", "@\(startedAt)"]
    }

    /// Starts the daemon and waits until its socket answers.
    func start() throws {
        startedAt = Int(Date().timeIntervalSince1970)
        try process.run()
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if let client = try? RawClient(path: socket) {
                if (try? client.call("org.varlink.service.GetInfo")) != nil { return }
            }
            guard process.isRunning else {
                throw DaemonFailure(message: "casetrackd exited with \(process.terminationStatus): \(stderrText())")
            }
            usleep(20_000)
        }
        throw DaemonFailure(message: "casetrackd did not answer within 30 s")
    }

    /// SIGTERM, then waits for a clean exit.
    @discardableResult
    func stop() -> Int32 {
        guard process.isRunning else { return process.terminationStatus }
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        return process.terminationStatus
    }

    func crash() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    func stderrText() -> String {
        if process.isRunning { return "" }
        return String(decoding: stderrPipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}

struct DaemonFailure: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// The result of running casetrackctl.
struct ControlRun {
    var status: Int32
    var stdout: String
    var stderr: String

    var json: Any? { try? JSONSerialization.jsonObject(with: Data(stdout.utf8)) }
}

/// Runs the real casetrackctl against `socket`.
func casetrackctl(_ arguments: [String], socket: String, environment: [String: String] = [:]) throws -> ControlRun {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: Binaries.control)
    process.arguments = arguments
    var env = ProcessInfo.processInfo.environment
    env["CASETRACK_SOCKET"] = socket
    for (key, value) in environment { env[key] = value }
    process.environment = env
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return ControlRun(
        status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
        stderr: String(decoding: errData, as: UTF8.self))
}

/// A bare Varlink connection: bytes in, NUL-terminated JSON out, no help.
final class RawClient {
    let fd: Int32
    private var buffer: [UInt8] = []

    init(path: String) throws {
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        do {
            try withUnixAddress(path) { connect(fd, $0, $1) }
        } catch {
            close(fd)
            throw error
        }
    }

    deinit { close(fd) }

    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard written > 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EPIPE) }
            offset += written
        }
    }

    func send(_ text: String) throws { try send(Array(text.utf8) + [0]) }

    /// The next reply, or nil when the daemon closed the connection.
    func receive(timeout: Double = 10) throws -> [String: Any]? {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if let end = buffer.firstIndex(of: 0) {
                let frame = Array(buffer[..<end])
                buffer.removeFirst(end + 1)
                return try JSONSerialization.jsonObject(with: Data(frame)) as? [String: Any]
            }
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let remaining = Int32(max(0, deadline.timeIntervalSinceNow * 1000))
            guard poll(&poller, 1, remaining) > 0 else { throw POSIXError(.ETIMEDOUT) }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let count = read(fd, &chunk, chunk.count)
            if count <= 0 { return nil }
            buffer += chunk[..<count]
        }
    }

    /// Sends one call and returns its reply.
    func call(_ method: String, _ parameters: [String: Any] = [:], more: Bool = false) throws -> [String: Any] {
        var message: [String: Any] = ["method": method, "parameters": parameters]
        if more { message["more"] = true }
        let data = try JSONSerialization.data(withJSONObject: message)
        try send(String(decoding: data, as: UTF8.self))
        guard let reply = try receive() else { throw POSIXError(.ECONNRESET) }
        return reply
    }
}

/// Calls `operation` (connect, bind) with the socket address of `path`;
/// throws its errno when it fails.
func withUnixAddress(_ path: String, _ operation: (UnsafePointer<sockaddr>, socklen_t) -> Int32) throws {
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    let bytes = Array(path.utf8)
    guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { throw POSIXError(.ENAMETOOLONG) }
    withUnsafeMutableBytes(of: &address.sun_path) { raw in
        for (index, byte) in bytes.enumerated() { raw[index] = byte }
    }
    let result = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            operation($0, socklen_t(MemoryLayout<sockaddr_un>.size))
        }
    }
    guard result == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
}

/// Runs a program to its end: its exit status, and its standard output
/// (with standard error too when `withErrors`, else stderr is discarded).
func runProcess(_ executable: String, _ arguments: [String], withErrors: Bool = false) throws -> (status: Int32, output: String) {
    // posix_spawn and waitpid rather than Foundation's Process: its
    // waitUntilExit once missed the exit of a short shell script here (the
    // child stayed a zombie and the test run hung).
    var pipeFDs: [Int32] = [0, 0]
    guard pipe(&pipeFDs) == 0 else { throw SpawnFailure(message: "pipe: \(String(cString: strerror(errno)))") }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_adddup2(&actions, pipeFDs[1], 1)
    if withErrors {
        posix_spawn_file_actions_adddup2(&actions, pipeFDs[1], 2)
    } else {
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
    }
    posix_spawn_file_actions_addclose(&actions, pipeFDs[0])
    posix_spawn_file_actions_addclose(&actions, pipeFDs[1])
    let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
    defer { for pointer in argv { free(pointer) } }
    var pid: pid_t = 0
    let spawned = posix_spawn(&pid, executable, &actions, nil, argv, environ)
    close(pipeFDs[1])
    defer { close(pipeFDs[0]) }
    guard spawned == 0 else { throw SpawnFailure(message: "\(executable): \(String(cString: strerror(spawned)))") }
    var output: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let count = read(pipeFDs[0], &buffer, buffer.count)
        if count > 0 {
            output += buffer[..<count]
        } else if count == 0 || errno != EINTR {
            break
        }
    }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    let exited = status & 0x7f == 0
    return (exited ? (status >> 8) & 0xff : 128 + (status & 0x7f), String(decoding: output, as: UTF8.self))
}

struct SpawnFailure: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
