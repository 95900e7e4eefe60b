import Foundation
import Testing

@Suite("Off-the-shelf Varlink clients")
struct ConformanceTests {
    @Test("the Python varlink package parses our IDL and drives the daemon")
    func pythonClient() throws {
        let scratch = try Scratch("python")
        let daemon = try DaemonProcess(scratch: scratch)
        try daemon.start()
        let (status, text) = try runProcess(
            "/usr/bin/env",
            ["python3", Binaries.packageRoot + "/Tests/IntegrationTests/varlink_conformance.py", "unix:" + daemon.socket],
            withErrors: true)
        #expect(status == 0, "\(text)")
        #expect(text.contains("ok: Verify"), "\(text)")
    }
}

@Suite("Under a service manager")
struct ServiceManagerTests {
    @Test("notify, socket activation, reload, watchdog and stop, through the real binary")
    func notifyAndActivation() throws {
        let (status, text) = try runProcess(
            "/usr/bin/env",
            ["python3", Binaries.packageRoot + "/Tests/IntegrationTests/notify_activation.py", Binaries.daemon, Binaries.pipelines],
            withErrors: true)
        #expect(status == 0, "\(text)")
        #expect(text.contains("ok: a wedged store writer stops the watchdog pings"), "\(text)")
    }
}
