import Foundation
import Testing
import Varlink

/// The reference Python client (`pip install varlink`) talks to the server:
/// it fetches and parses the interface description, then calls methods.
@Suite struct PythonClientTests {
    static let pythonHasVarlink: Bool = {
        (try? run(["python3", "-c", "import varlink"]).status) == 0
    }()

    static let script = #"""
        import sys, varlink
        with varlink.Client(address="unix:" + sys.argv[1]) as client:
            with client.open("org.example.test") as test:
                reply = test.Echo("hello", 25000, {"name": "household", "count": 6}, None)
                assert reply["text"] == "hello", reply
                assert reply["count"] == 25000, reply
                assert reply["item"]["count"] == 6, reply
                values = [r["value"] for r in test.Count(3, _more=True)]
                assert values == [1, 2, 3], values
                try:
                    test.Fail("quota")
                    raise SystemExit("Fail did not fail")
                except varlink.VarlinkError as error:
                    assert error.error() == "org.example.test.Failed", error.error()
                    assert error.parameters()["reason"] == "quota", error.parameters()
                try:
                    test.Count(2)
                    raise SystemExit("Count without more did not fail")
                except varlink.VarlinkError as error:
                    assert error.error() == "org.varlink.service.ExpectedMore", error.error()
            with client.open("org.varlink.service") as service:
                info = service.GetInfo()
                assert info["interfaces"] == ["org.varlink.service", "org.example.test"], info
        print("ok")
        """#

    @Test(.enabled(if: pythonHasVarlink, "needs the varlink Python package (pip install varlink)"))
    func theReferencePythonClientCallsTheServer() async throws {
        try await TestServer.with { path in
            let script = FileManager.default.temporaryDirectory.appendingPathComponent("varlink-\(UUID()).py")
            try Self.script.write(to: script, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(at: script) }
            // Off the Swift concurrency pool: the process is waited for by blocking.
            let result = try await withCheckedThrowingContinuation { continuation in
                Thread {
                    continuation.resume(with: Result { try Self.run(["python3", script.path, path]) })
                }.start()
            }
            #expect(result.status == 0, "\(result.output)")
            #expect(result.output.contains("ok"))
        }
    }

    /// Runs a command to completion; returns its exit status and output.
    static func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }
}
