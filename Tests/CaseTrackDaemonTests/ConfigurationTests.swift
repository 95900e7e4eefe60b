import Foundation
import Testing

@testable import CaseTrackDaemon

@Suite("Configuration and pipeline files")
struct ConfigurationTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    @Test("the sample configuration parses, and every key has the documented default")
    func sample() throws {
        let configuration = try DaemonConfiguration.load(path: Self.root + "/Config/casetrackd.yaml")
        let defaults = DaemonConfiguration()
        #expect(configuration.socket.path == defaults.socket.path)
        #expect(configuration.socket.mode == 0o660)
        #expect(configuration.stateDirectory == "/var/lib/casetrack")
        #expect(configuration.pipelinesDirectory == Self.root + "/Config/pipelines")
        #expect(configuration.limits == defaults.limits)
        #expect(configuration.access.reader.groups == ["casetrack"])
    }

    @Test("a bad value is refused with the file and the key")
    func badValues() {
        #expect(throws: ConfigurationError.self) { try DaemonConfiguration.parse("socket: { mode: rw }", file: "x.yaml") }
        do {
            _ = try DaemonConfiguration.parse("limits: { maxConnections: -1 }", file: "/etc/casetrack/casetrackd.yaml")
            Issue.record("accepted a negative limit")
        } catch {
            #expect(error.description.contains("/etc/casetrack/casetrackd.yaml"))
            #expect(error.description.contains("limits.maxConnections"))
        }
        for (text, key) in [
            ("limits: { maxNestingDepth: 4 }", "limits.maxNestingDepth must be at least 8"),
            ("limits: { maxStringBytes: 100 }", "limits.maxStringBytes must be at least 1024"),
        ] {
            #expect(throws: ConfigurationError.self) { try DaemonConfiguration.parse(text, file: "c.yaml") }
            #expect((try? DaemonConfiguration.parse(text, file: "c.yaml")) == nil)
            do { _ = try DaemonConfiguration.parse(text, file: "c.yaml") } catch { #expect(error.description.contains(key)) }
        }
        let raised = try? DaemonConfiguration.parse("limits: { maxNestingDepth: 12, maxStringBytes: 8192 }", file: "c.yaml")
        #expect(raised?.limits.maxNestingDepth == 12)
        #expect(raised?.limits.maxStringBytes == 8192)
        do {
            _ = try DaemonConfiguration.parse("log: { level: loud }", file: "c.yaml")
            Issue.record("accepted a bad level")
        } catch {
            #expect(error.description.contains("log.level"))
        }
    }

    @Test("group ids may be written as numbers")
    func numericGroups() throws {
        let configuration = try DaemonConfiguration.parse(
            "access: { operator: { users: [alice, 1001], groups: [42] } }", file: "c.yaml")
        #expect(configuration.access.operator.users == ["alice", "1001"])
        #expect(configuration.access.operator.groups == ["42"])
    }

    @Test("the shipped pipelines load; a broken one is refused naming its file and the problem")
    func pipelines() throws {
        let pipelines = try PipelineCatalog.load(directory: Self.root + "/Config/pipelines")
        #expect(Set(pipelines.keys) == ["usrap", "afghan-siv"])
        let broken = """
            name: broken
            version: 1
            states:
              - { name: a, initial: true }
              - { name: b }
            transitions:
              - { event: go, from: [a], to: c }
            """
        do {
            _ = try PipelineCatalog.parse(broken, file: "/etc/casetrack/pipelines/broken.yaml")
            Issue.record("accepted a transition to an unknown state")
        } catch {
            #expect(error.file == "/etc/casetrack/pipelines/broken.yaml")
            #expect(error.problem.contains("unknown state 'c'"))
        }
    }

    @Test("the IDL served is the shipped io.casetrack.Tracker.varlink file")
    func interfaceDescription() throws {
        let shipped = try String(
            contentsOfFile: Self.root + "/Sources/CaseTrackDaemon/io.casetrack.Tracker.varlink", encoding: .utf8)
        #expect(TrackerInterfaceDescription.text == shipped.trimmingCharacters(in: .newlines))
        for method in TrackerMethod.allCases {
            #expect(shipped.contains("method \(method.rawValue)("), "IDL lacks \(method.rawValue)")
        }
    }
}

@Suite("Who may do what")
struct AccessTests {
    func identity(uid: UInt32, name: String, groups: Set<String> = []) -> Identity {
        Identity(uid: uid, gid: 100, name: name, groupIDs: [100], groupNames: groups)
    }

    @Test("root is admin; others get the role their user or group is given, else none")
    func roles() {
        var access = DaemonConfiguration.Access()
        access.operator = .init(users: ["olga"], groups: [])
        access.reader = .init(users: [], groups: ["casetrack"])
        access.admin = .init(users: ["1005"], groups: [])
        let policy = AccessPolicy(access)
        #expect(policy.role(of: identity(uid: 0, name: "root")) == .admin)
        #expect(policy.role(of: identity(uid: 1001, name: "olga")) == .operator)
        #expect(policy.role(of: identity(uid: 1002, name: "rita", groups: ["casetrack"])) == .reader)
        #expect(policy.role(of: identity(uid: 1005, name: "ada")) == .admin)
        #expect(policy.role(of: identity(uid: 1003, name: "eve", groups: ["users"])) == .none)
    }

    @Test("readers read, operators change cases, admins create cohorts and reload")
    func table() {
        #expect(TrackerMethod.describeCohort.requiredRole == .reader)
        #expect(TrackerMethod.watch.requiredRole == .reader)
        #expect(TrackerMethod.transition.requiredRole == .operator)
        #expect(TrackerMethod.importCases.requiredRole == .operator)
        #expect(TrackerMethod.createCohort.requiredRole == .admin)
        #expect(TrackerMethod.reload.requiredRole == .admin)
        #expect(Role.admin > .operator && Role.operator > .reader && Role.reader > .none)
    }
}
