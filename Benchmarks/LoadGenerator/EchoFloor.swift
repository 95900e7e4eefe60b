import Foundation
import Glibc

/// The machine's floor for a call over a Unix-domain socket: the load
/// generator's own client code calling a server that does nothing but
/// answer, a thread of this process blocking on its socket as the daemon's
/// event loop does. Whatever a daemon's idle latency is above this is the
/// daemon's; the floor itself is the kernel's and the hypervisor's (on a VM
/// mostly the wake-up of an idle virtual CPU, twice per call).
enum EchoFloor {
    /// A call and a reply the size of a DescribeCohort and its answer.
    static let call = #"{"method":"io.casetrack.Tracker.DescribeCohort","parameters":{"id":"bench-1234567890"}}"# + "\0"
    static let reply = Array(#"{"parameters":{"cohort":{"id":"bench-1234567890","pipeline":"usrap","states":[\#(String(repeating: #"{"state":"referred","persons":0,"cases":0,"unregistered":0},"#, count: 8)){"state":"arrived","persons":0,"cases":0,"unregistered":0}]}}}"#.utf8) + [0]

    /// Calls the echo server one call at a time until `deadline` (monotonic
    /// nanoseconds); each call's latency in microseconds.
    static func measure(until deadline: UInt64) throws(BenchFailure) -> [Double] {
        let directory = FileManager.default.temporaryDirectory.path + "/casetrack-echo-\(getpid())"
        mkdir(directory, 0o700)
        let path = directory + "/echo.sock"
        defer {
            unlink(path)
            rmdir(directory)
        }
        let listener = try unixSocket(at: path) { descriptor, address, length in
            bind(descriptor, address, length) == 0 ? listen(descriptor, 1) : -1
        }
        defer { Glibc.close(listener) }
        let server = Thread {
            let connection = accept(listener, nil, nil)
            guard connection >= 0 else { return }
            defer { Glibc.close(connection) }
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(connection, $0.baseAddress!, $0.count) }
                if count <= 0 { return }
                // One call in flight: a read that ends with the NUL ends the call.
                guard buffer[count - 1] == 0 else { continue }
                let written = reply.withUnsafeBytes { send(connection, $0.baseAddress!, $0.count, Int32(MSG_NOSIGNAL)) }
                if written != reply.count { return }
            }
        }
        server.name = "bench-echo"
        server.start()

        var connection = try BlockingConnection(unixPath: path)
        defer { connection.close() }
        var latencies: [Double] = []
        latencies.reserveCapacity(1 << 16)
        while monotonicNanoseconds() < deadline {
            let started = monotonicNanoseconds()
            try connection.send(call)
            while try !connection.receive() {}
            latencies.append(Double(monotonicNanoseconds() - started) / 1000)
        }
        return latencies
    }
}
