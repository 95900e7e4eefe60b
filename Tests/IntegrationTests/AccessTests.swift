import Foundation
import Testing

/// Real users, real peer credentials: every role against every method.
@Suite("Access by peer credentials", .serialized)
struct AccessTests {
    static let group = "ct-test-peers"
    static let users = ["ct-test-admin", "ct-test-operator", "ct-test-reader", "ct-test-nobody"]

    static func sh(_ command: String) -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try? process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Creates the system users and group once (idempotent).
    static func ensureUsers() throws {
        _ = sh("getent group \(group) >/dev/null || groupadd --system \(group)")
        for user in users {
            _ = sh("id -u \(user) >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin \(user)")
            // The nobody user may reach the socket but holds no role.
            _ = sh("usermod -a -G \(group) \(user)")
        }
        for user in users { guard sh("id -u \(user)") == 0 else { throw DaemonFailure(message: "cannot create \(user)") } }
    }

    /// casetrackctl run as `user` with its own uid, gid and groups.
    func ctl(as user: String, socket: String, _ arguments: [String]) throws -> ControlRun {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
        process.arguments = ["--reuid=\(user)", "--regid=\(user)", "--init-groups", "--", Binaries.control] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment["CASETRACK_SOCKET"] = socket
        process.environment = environment
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return ControlRun(
            status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
            stderr: String(decoding: stderr, as: UTF8.self))
    }

    @Test("readers read, operators change cases, admins create and reload; the rest are refused")
    func everyRoleEveryMethod() throws {
        try Self.ensureUsers()
        let scratch = try Scratch("access")
        chmod(scratch.path, 0o711)
        let daemon = try DaemonProcess(
            scratch: scratch,
            configuration: """
                socket: { group: \(Self.group) }
                access:
                  admin: { users: [ct-test-admin] }
                  operator: { users: [ct-test-operator] }
                  reader: { users: [ct-test-reader] }
                """)
        try daemon.start()
        var info = stat()
        #expect(stat(daemon.socket, &info) == 0 && info.st_mode & 0o777 == 0o660)
        #expect(getgrgid(info.st_gid).map { String(cString: $0.pointee.gr_name) } == Self.group)

        let root = try RawClient(path: daemon.socket)
        _ = try root.call("io.casetrack.Tracker.CreateCohort", ["id": "roles", "pipeline": "usrap"])
        _ = try root.call("io.casetrack.Tracker.Intake", ["cohort": "roles", "persons": 10_000])
        for index in 0..<8 {
            _ = try root.call("io.casetrack.Tracker.AddCase", ["cohort": "roles", "id": "R-\(index)", "persons": 2])
        }

        let calls: [(method: String, parameters: String, role: Int)] = [
            ("GetStatus", "{}", 1), ("ListPipelines", "{}", 1), ("DescribePipeline", #"{"name":"usrap"}"#, 1),
            ("ListCohorts", "{}", 1), ("DescribeCohort", #"{"id":"roles"}"#, 1), ("GetCase", #"{"id":"R-0"}"#, 1),
            ("ListCases", "{}", 1), ("History", "{}", 1), ("Digest", "{}", 1), ("Verify", "{}", 1),
            ("Intake", #"{"cohort":"roles","persons":1}"#, 2),
            ("Move", #"{"cohort":"roles","from":"referred","to":"prescreened","persons":1}"#, 2),
            ("AddCase", #"{"cohort":"roles","id":"NEW-%USER%","persons":1}"#, 2),
            ("ImportCases", #"{"cohort":"roles","cases":[{"id":"IMP-%USER%","persons":1}]}"#, 2),
            ("Transition", #"{"caseId":"R-%N%","event":"prescreened"}"#, 2),
            ("CreateCohort", #"{"id":"c-%USER%","pipeline":"usrap"}"#, 3), ("Reload", "{}", 3),
            ("Backup", #"{"path":"\#(scratch.file("backup-%USER%.sqlite"))"}"#, 3),
        ]
        let roles = ["ct-test-admin": 3, "ct-test-operator": 2, "ct-test-reader": 1, "ct-test-nobody": 0]
        for (userIndex, user) in Self.users.enumerated() {
            for call in calls {
                let parameters = call.parameters.replacingOccurrences(of: "%USER%", with: user)
                    .replacingOccurrences(of: "%N%", with: String(userIndex))
                let run = try ctl(
                    as: user, socket: daemon.socket, ["call", "io.casetrack.Tracker.\(call.method)", parameters, "--json"])
                let allowed = roles[user]! >= call.role
                if allowed {
                    #expect(run.status == 0, "\(user) \(call.method): \(run.stderr)")
                } else {
                    #expect(run.status == 1, "\(user) \(call.method) was not refused")
                    #expect(run.stdout.contains("PermissionDenied") || run.stderr.contains("PermissionDenied"))
                }
            }
        }

        let history = try root.call("io.casetrack.Tracker.History", ["afterSeq": 0, "limit": 1000])
        let events = ((history["parameters"] as? [String: Any])?["events"] as? [[String: Any]]) ?? []
        let actors = Set(events.compactMap { $0["actor"] as? String })
        #expect(actors == ["root", "ct-test-admin", "ct-test-operator"])
        let denied = try ctl(as: "ct-test-reader", socket: daemon.socket, ["intake", "roles", "--persons", "5"])
        #expect(denied.stderr.contains("operator"), "the refusal names the role needed: \(denied.stderr)")
    }

    @Test("a user outside the socket's group cannot connect, and is told why")
    func outsideTheGroup() throws {
        try Self.ensureUsers()
        _ = Self.sh("id -u ct-test-outsider >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin ct-test-outsider")
        let scratch = try Scratch("outsider")
        chmod(scratch.path, 0o711)
        let daemon = try DaemonProcess(scratch: scratch, configuration: "socket: { group: \(Self.group) }\n")
        try daemon.start()
        let run = try ctl(as: "ct-test-outsider", socket: daemon.socket, ["status"])
        #expect(run.status == 69)
        #expect(run.stderr.lowercased().contains("permission denied"), "\(run.stderr)")
    }
}
