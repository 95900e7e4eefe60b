import Foundation
import Testing

/// The load generator `make bench` runs, driven briefly so that it cannot
/// rot unnoticed: it reports every kind of call it was asked for, and the
/// daemon it loaded still verifies. (Its figures are measured by `make
/// bench`, never judged here.)
@Suite("casetrack-bench")
struct LoadGeneratorTests {
    /// The kinds and call counts of a `--json` report.
    private func calls(_ output: String) throws -> [String: Int] {
        let figures = try #require(
            try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [[String: Any]], "\(output)")
        return Dictionary(uniqueKeysWithValues: figures.compactMap { figure in
            (figure["kind"] as? String).map { ($0, figure["calls"] as? Int ?? 0) }
        })
    }

    @Test("a short mixed run, with either kind of request id, reports each kind of call and leaves the store consistent")
    func mixedRun() throws {
        let scratch = try Scratch("bench")
        let daemon = try DaemonProcess(scratch: scratch)
        try daemon.start()
        defer { daemon.stop() }
        for ids in [[], ["--random-request-ids"]] {
            let (status, output) = try runProcess(
                Binaries.bench,
                [
                    "--socket", daemon.socket, "--clients", "2", "--depth", "2", "--duration", "0.5",
                    "--mix", "transition=50,move=20,read=20,status=10", "--cases-per-client", "8", "--json",
                ] + ids)
            #expect(status == 0, "\(output)")
            let counts = try calls(output)
            #expect(Set(counts.keys) == ["transition", "move", "read", "status"], "\(output)")
            #expect(counts.values.allSatisfy { $0 > 0 }, "\(output)")
        }
        let verify = try casetrackctl(["verify"], socket: daemon.socket)
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
    }

    @Test("the echo floor needs no daemon and reports its calls")
    func echoFloor() throws {
        let (status, output) = try runProcess(Binaries.bench, ["--echo-floor", "--duration", "0.2", "--json"])
        #expect(status == 0, "\(output)")
        #expect(try calls(output)["echo"] ?? 0 > 100, "\(output)")
    }

    @Test("echo is not a kind of call to mix")
    func echoIsNotMixed() throws {
        let (status, output) = try runProcess(
            Binaries.bench, ["--socket", "/nonexistent", "--mix", "echo=1"], withErrors: true)
        #expect(status != 0)
        #expect(output.contains("--mix"), "\(output)")
    }
}
