import Foundation
import Testing

/// casetrackctl as an operator uses it, against a real casetrackd.
@Suite("casetrackctl against casetrackd")
struct ControlTests {
    let scratch: Scratch
    let daemon: DaemonProcess

    init() throws {
        scratch = try Scratch("ctl")
        daemon = try DaemonProcess(scratch: scratch)
        try daemon.start()
    }

    func ctl(_ arguments: String...) throws -> ControlRun {
        try casetrackctl(arguments, socket: daemon.socket)
    }

    func counts(_ cohort: String) throws -> [String: [String: Any]] {
        let run = try ctl("cohort", "show", cohort, "--json")
        #expect(run.status == 0, "\(run.stderr)")
        let object = run.json as? [String: Any]
        let rows = ((object?["cohort"] as? [String: Any])?["counts"] as? [[String: Any]]) ?? []
        var byState: [String: [String: Any]] = [:]
        for row in rows { byState[row["state"] as? String ?? ""] = row }
        return byState
    }

    @Test("the 25,000 Afghans in Pakistan: intake, a batch moves, a household registers and moves on")
    func afghansInPakistan() throws {
        let pipelines = try ctl("pipelines")
        #expect(pipelines.status == 0)
        #expect(pipelines.stdout.contains("usrap") && pipelines.stdout.contains("afghan-siv"))

        #expect(try ctl("cohort", "create", "afghans-pk", "--pipeline", "usrap", "--title", "Afghans in Pakistan, US pipeline").status == 0)
        #expect(try ctl("intake", "afghans-pk", "--state", "referred", "--persons", "25000").status == 0)
        #expect(try ctl("move", "afghans-pk", "--from", "referred", "--to", "prescreened", "--persons", "1200", "--note", "RSC batch 14").status == 0)
        #expect(try ctl("case", "add", "AFG-2023-000017", "--cohort", "afghans-pk", "--persons", "5", "--state", "prescreened", "--from-unregistered").status == 0)
        #expect(try ctl("transition", "AFG-2023-000017", "interview-scheduled").status == 0)

        let byState = try counts("afghans-pk")
        #expect(byState["referred"]?["persons"] as? Int == 23_800)
        #expect(byState["prescreened"]?["unregistered"] as? Int == 1_195)
        #expect(byState["prescreened"]?["cases"] as? Int == 0)
        #expect(byState["interview-scheduled"]?["cases"] as? Int == 1)
        #expect(byState["interview-scheduled"]?["persons"] as? Int == 5)

        let table = try ctl("cohort", "show", "afghans-pk")
        #expect(table.status == 0)
        #expect(table.stdout.contains("23,800") || table.stdout.contains("23800"))

        let history = try ctl("history", "--cohort", "afghans-pk", "--limit", "20", "--json")
        let events = ((history.json as? [String: Any])?["events"] as? [[String: Any]]) ?? []
        #expect(events.map { $0["kind"] as? String ?? "" } == ["cohort-created", "intake", "move", "case-added", "transition"])
        #expect(events.allSatisfy { $0["actor"] as? String == "root" })
        // Each mutation carried a fresh time-ordered request id (UUID version 7), the cheap kind for the store.
        let requestIds = events.compactMap { $0["requestId"] as? String }
        #expect(requestIds.count == 5 && Set(requestIds).count == 5)
        #expect(requestIds.allSatisfy { UUID(uuidString: $0) != nil && Array($0)[14] == "7" }, "\(requestIds)")
        #expect(requestIds == requestIds.sorted())

        let verify = try ctl("verify")
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")

        let backup = scratch.file("backup.sqlite")
        #expect(try ctl("backup", backup).status == 0)
        var info = stat()
        #expect(stat(backup, &info) == 0)
        #expect(info.st_mode & 0o077 == 0, "backup is readable by others")

        let raw = try ctl("call", "io.casetrack.Tracker.GetStatus", "{}")
        #expect(raw.status == 0)
        #expect((raw.json as? [String: Any])?["cases"] as? Int == 1)
    }

    @Test("refusals exit 1 with the Varlink error; an unreachable daemon exits 69; usage errors 64")
    func exitCodes() throws {
        let missing = try ctl("cohort", "show", "nowhere")
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("NoSuchCohort"))

        #expect(try ctl("cohort", "create", "siv", "--pipeline", "afghan-siv").status == 0)
        #expect(try ctl("case", "add", "SIV-1", "--cohort", "siv", "--persons", "2").status == 0)
        let invalid = try ctl("transition", "SIV-1", "arrived")
        #expect(invalid.status == 1)
        #expect(invalid.stderr.contains("InvalidTransition"))
        #expect(invalid.stderr.contains("com-approved"), "the allowed events are named: \(invalid.stderr)")

        let unreachable = try casetrackctl(["status"], socket: scratch.file("no-such.sock"))
        #expect(unreachable.status == 69)

        let usage = try ctl("intake", "siv", "--persons", "lots")
        #expect(usage.status == 64)
    }

    @Test("a CSV import is all or nothing, and bad rows are reported by line and column")
    func importCSV() throws {
        #expect(try ctl("cohort", "create", "imports", "--pipeline", "usrap").status == 0)
        let good = scratch.file("good.csv")
        var text = "id,persons,state,province\n"
        for index in 1...12_000 { text += "AFG-\(index),\(1 + index % 6),\(index % 3 == 0 ? "prescreened" : ""),P\(index % 34)\n" }
        try text.write(toFile: good, atomically: true, encoding: .utf8)
        let imported = try ctl("import", "imports", good)
        #expect(imported.status == 0, "\(imported.stderr)")
        let byState = try counts("imports")
        #expect(byState["prescreened"]?["cases"] as? Int == 4_000)
        #expect(byState["referred"]?["cases"] as? Int == 8_000)

        let bad = scratch.file("bad.csv")
        try "id,persons,state\nNEW-1,3,\nNEW-2,zero,\nAlice Smith,2,\n".write(toFile: bad, atomically: true, encoding: .utf8)
        let refused = try ctl("import", "imports", bad)
        #expect(refused.status == 65)
        #expect(refused.stderr.contains("bad.csv:3"), "\(refused.stderr)")
        #expect(refused.stderr.contains("bad.csv:4"), "\(refused.stderr)")
        let after = try ctl("case", "show", "NEW-1")
        #expect(after.status == 1, "a row of a refused file was imported")

        let duplicate = scratch.file("duplicate.csv")
        try "id,persons,state\nDUP-1,3,\nAFG-7,2,\n".write(toFile: duplicate, atomically: true, encoding: .utf8)
        let clash = try ctl("import", "imports", duplicate)
        #expect(clash.status == 1)
        #expect(try ctl("case", "show", "DUP-1").status == 1, "half a batch was imported")
        #expect(try ctl("verify").status == 0)
    }

    @Test("a daemon restart loses nothing that was acknowledged")
    func restart() throws {
        #expect(try ctl("cohort", "create", "kept", "--pipeline", "afghan-siv").status == 0)
        #expect(try ctl("intake", "kept", "--persons", "900").status == 0)
        #expect(try ctl("case", "add", "K-1", "--cohort", "kept", "--persons", "3").status == 0)
        #expect(try ctl("transition", "K-1", "com-approved").status == 0)
        #expect(daemon.stop() == 0)
        let again = try DaemonProcess(scratch: scratch)
        try again.start()
        let shown = try casetrackctl(["case", "show", "K-1", "--json"], socket: again.socket)
        let record = (shown.json as? [String: Any])?["case"] as? [String: Any]
        #expect(record?["state"] as? String == "com-approved")
        let history = (shown.json as? [String: Any])?["history"] as? [[String: Any]]
        #expect(history?.count == 2)
        #expect(try casetrackctl(["verify"], socket: again.socket).status == 0)
    }
}

@Suite("casetrackctl export")
struct ExportTests {
    @Test("an export opens in a spreadsheet as text: formulas are neutralised, the file is private")
    func formulaInjection() throws {
        let scratch = try Scratch("export")
        let daemon = try DaemonProcess(scratch: scratch)
        try daemon.start()
        let client = try RawClient(path: daemon.socket)
        _ = try client.call("io.casetrack.Tracker.CreateCohort", ["id": "exported", "pipeline": "usrap"])
        let hostile = [
            "E-1": #"=HYPERLINK("http://x.invalid","click")"#, "E-2": "+1+1", "E-3": "-2", "E-4": "@SUM(A1)",
            "E-5": "Nowshera, \"B\"",
        ]
        for (id, value) in hostile {
            let reply = try client.call(
                "io.casetrack.Tracker.AddCase", ["cohort": "exported", "id": id, "persons": 2, "attributes": ["camp": value]])
            #expect(reply["error"] == nil, "\(reply)")
        }
        let file = scratch.file("cases.csv")
        let run = try casetrackctl(["export", "--cohort", "exported", "--output", file], socket: daemon.socket)
        #expect(run.status == 0, "\(run.stderr)")
        var info = stat()
        #expect(stat(file, &info) == 0 && info.st_mode & 0o077 == 0, "the export is readable by others")
        let text = try String(contentsOfFile: file, encoding: .utf8)
        let lines = text.components(separatedBy: "\r\n").filter { !$0.isEmpty }
        #expect(lines.first == "id,cohort,persons,state,since,pipeline_version,overdue,camp")
        #expect(lines.count == 6)
        for line in lines.dropFirst() {
            let camp = line.hasSuffix("\"") ? String(line[line.range(of: ",\"", options: .backwards)!.upperBound...]) : String(line.split(separator: ",").last!)
            #expect(!["=", "+", "-", "@"].contains(camp.first.map(String.init) ?? ""), "formula left live: \(line)")
        }
        #expect(text.contains(#"'=HYPERLINK(""http://x.invalid"",""click"")"#))
        #expect(text.contains("'+1+1") && text.contains("'-2") && text.contains("'@SUM(A1)"))
        #expect(text.contains(#""Nowshera, ""B""""#))
    }
}
