import CaseTrackStore
import Foundation
import Testing

@testable import CaseTrackCore
@testable import CaseTrackDaemon

@Suite("Digest: published files, suppression, schedule")
struct DigestPublishingTests {
    static let small = "small-cohort"
    static let large = "large-cohort"

    /// Two cohorts: one with only small counts, one large with a few small cells.
    func populate(_ world: DigestWorld, _ tracker: Tracker) async throws {
        let actor = DigestWorld.operatorIdentity
        func apply(_ time: Timestamp, _ mutation: Mutation) async throws {
            world.clock.set(time)
            _ = try await tracker.mutate(mutation, actor: actor, requestId: nil)
        }
        try await apply(
            DigestWorld.day(0, 7),
            .createCohort(id: Self.small, pipeline: "afghan-siv", title: "A & B <tiny>", attributes: [:]))
        try await apply(
            DigestWorld.day(0, 7), .createCohort(id: Self.large, pipeline: "usrap", title: nil, attributes: [:]))
        try await apply(DigestWorld.day(0, 8), .intake(cohort: Self.small, state: nil, persons: 3, note: nil))
        try await apply(DigestWorld.day(0, 8), .addCase(cohort: Self.small, NewCase(id: "S-1", persons: 4)))
        try await apply(
            DigestWorld.day(1, 8),
            .move(cohort: Self.small, from: "com-application", to: nil, event: "deported", persons: 2, note: nil))
        try await apply(DigestWorld.day(0, 9), .intake(cohort: Self.large, state: nil, persons: 900, note: nil))
        let initial = try #require(world.pipelines["usrap"]).defaultInitialState.name
        let next = try #require(world.pipelines["usrap"]?.transitions(from: initial).first)
        try await apply(
            DigestWorld.day(2, 9),
            .move(cohort: Self.large, from: initial, to: next.to, event: next.event, persons: 1, note: nil))
        try await apply(
            DigestWorld.day(2, 10),
            .move(cohort: Self.large, from: initial, to: next.to, event: next.event, persons: 40, note: nil))
    }

    /// Every count in a published digest is 0, at least the threshold, or withheld.
    func expectNothingSmall(_ count: DigestCount, _ what: String, threshold: Int = 5) {
        if count.isExact {
            #expect(count.shown == 0 || abs(count.shown) >= threshold, "\(what) shows \(count.shown)")
        } else {
            #expect(
                count.shown == 0 || abs(count.shown) >= threshold, "\(what) shows \(count.shown) beside withheld parts")
        }
    }

    @Test("no published format shows an exact count below the threshold, and totals add only what is shown")
    func suppression() async throws {
        let world = try DigestWorld()
        defer { world.remove() }
        let (tracker, _, store) = try await world.start()
        defer { Task { await store.close() } }
        try await populate(world, tracker)
        world.clock.set(DigestWorld.day(3, 6))
        let digest = try await tracker.digest(cohort: nil, exact: false)
        let exact = try await tracker.digest(cohort: nil, exact: true)
        #expect(exact.cohorts.first { $0.cohort == Self.small }?.summary.activePersons == .exact(5))

        for cohort in digest.cohorts {
            for state in cohort.states {
                expectNothingSmall(state.persons, "\(cohort.cohort).\(state.state).persons")
                expectNothingSmall(state.cases, "\(cohort.cohort).\(state.state).cases")
                if !state.netChange.isExact { continue }
                expectNothingSmall(state.netChange, "\(cohort.cohort).\(state.state).netChange")
            }
            for movement in cohort.movements {
                expectNothingSmall(movement.persons, "movement persons")
                expectNothingSmall(movement.cases, "movement cases")
            }
            #expect(cohort.oldestOverdue.allSatisfy { $0.persons == nil })
            // The total is what the active states show, withheld parts counted, not summed.
            let shown = cohort.states.filter { $0.outcome == nil }.map(\.persons).reduce(DigestCount.zero, +)
            #expect(cohort.summary.activePersons == shown)
        }
        let small = try #require(digest.cohorts.first { $0.cohort == Self.small })
        // 1 unregistered + a case of 4 share a cell of 5 persons, shown; the one case is withheld.
        #expect(small.summary.activePersons == .exact(5))
        #expect(small.summary.activeCases == DigestCount(shown: 0, withheldParts: 1, threshold: 5))
        #expect(small.summary.activeCases.description == "<5")
        // Deported 2: withheld, and so is everything derived from it.
        #expect(small.summary.exited["deported"]?.description == "<5")
        #expect(small.summary.movedPersons.description == "<5")
        #expect(small.summary.throughput.projectedClearance == .withheld)
        let large = try #require(digest.cohorts.first { $0.cohort == Self.large })
        // 1 + 40 moved in two moves of the same way: one cell of 41, shown.
        #expect(large.summary.movedPersons == .exact(41))
        #expect(digest.total == DigestSummary(adding: digest.cohorts.map(\.summary), at: digest.generatedAt))

        // The rendered documents: no table cell or line shows 1 to 4. (The
        // JSON is the encoding of the counts checked above: an exact count
        // is a number, a withheld one an object.)
        let forms = [DigestFormat.text, .md, .html].map { ($0, $0.render(digest)) }
        for (format, text) in forms {
            for value in 1...4 {
                for pattern in [
                    "| \(value) |", ">\(value)<", "  \(value)\n", "  \(value)  ", ": \(value),", ": \(value)\n",
                    " \(value) persons",
                ] {
                    #expect(!text.contains(pattern), "\(format) shows \(pattern.debugDescription)")
                }
            }
            #expect(text.contains("<5") || text.contains("&lt;5") || text.contains("\"below\" : 5"), "\(format)")
        }
        let fields = DigestScheduler.journalFields(digest, file: nil)
        #expect(fields["MESSAGE_ID"] == "\(MessageID.digest.rawValue)")
        for key in ["ACTIVE_PERSONS", "MOVED_PERSONS", "OVERDUE_CASES"] {
            let value = fields[key].map { "\($0)" } ?? ""
            #expect(!["1", "2", "3", "4"].contains(value), "\(key)=\(value)")
        }
    }

    @Test("the HTML is one well-formed XML document with an inline SVG bar chart and line chart per cohort")
    func htmlIsXML() async throws {
        let world = try DigestWorld()
        defer { world.remove() }
        let (tracker, _, store) = try await world.start()
        defer { Task { await store.close() } }
        try await populate(world, tracker)
        world.clock.set(DigestWorld.day(3, 6))
        for exact in [true, false] {
            let html = DigestFormat.html.render(try await tracker.digest(cohort: nil, exact: exact))
            let path = world.directory + "/check-\(exact).html"
            try html.write(toFile: path, atomically: true, encoding: .utf8)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [
                "python3", "-c",
                """
                import sys, xml.etree.ElementTree as E
                root = E.parse(sys.argv[1]).getroot()
                svgs = root.findall('.//{http://www.w3.org/2000/svg}svg')
                print(len(svgs))
                assert not root.findall('.//{http://www.w3.org/1999/xhtml}script')
                assert not [e for e in root.iter() if e.get('src') or e.get('href')]
                """,
                path,
            ]
            let output = Pipe()
            process.standardOutput = output
            try process.run()
            process.waitUntilExit()
            #expect(process.terminationStatus == 0, "python3 xml.etree refused the HTML")
            let count = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            #expect(count.trimmingCharacters(in: .whitespacesAndNewlines) == "4")
            #expect(html.contains("A &amp; B &lt;tiny&gt;"))
        }
    }

    @Test("digests are written 0640 with latest links, listed newest first, and pruned after the retention")
    func archive() async throws {
        var world = try DigestWorld()
        world.configuration.digest.retentionDays = 2
        defer { world.remove() }
        let (tracker, scheduler, store) = try await world.start()
        defer { Task { await store.close() } }
        try await populate(world, tracker)
        world.clock.set(DigestWorld.day(3, 5))
        _ = try await scheduler.tick()
        for day in 3...6 {
            world.clock.set(DigestWorld.day(day, 6, 1))
            guard case .wrote = try await scheduler.tick() else {
                Issue.record("no digest on day \(day)")
                continue
            }
        }
        let archive = DigestArchive(stateDirectory: world.directory)
        let entries = archive.list()
        // Days 3 and 4 are older than two days at day 6 and were pruned.
        #expect(entries.map(\.name) == ["20261007T060100Z", "20261006T060100Z", "20261005T060100Z"])
        #expect(entries.allSatisfy { $0.formats == ["html", "json", "md"] })
        let directory = try FileManager.default.attributesOfItem(atPath: archive.directory)
        #expect((directory[.posixPermissions] as? Int) == 0o750)
        for format in ["json", "md", "html"] {
            let path = archive.directory + "/20261007T060100Z.\(format)"
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            #expect((attributes[.posixPermissions] as? Int) == 0o640)
            let target = try FileManager.default.destinationOfSymbolicLink(
                atPath: archive.directory + "/latest.\(format)")
            #expect(target == "20261007T060100Z.\(format)")
        }
        let listed = DigestCall.list(tracker: tracker)
        #expect(listed.digests.count == 3)
        // The store forgot the pruned ones too: the chart has days 5 and 6, then now.
        world.clock.set(DigestWorld.day(6, 12))
        let digest = try await tracker.digest(cohort: Self.large, exact: true)
        #expect(digest.cohorts.first?.activeHistory.count == 4)
    }

    @Test("the Digest method: admins see exact figures, readers the published ones; formats render")
    func method() async throws {
        let world = try DigestWorld()
        defer { world.remove() }
        let (tracker, _, store) = try await world.start()
        defer { Task { await store.close() } }
        try await populate(world, tracker)
        let admin = try await DigestCall.answer(.init(cohort: Self.small, format: "md"), tracker: tracker, role: .admin)
        #expect(admin.digest.suppressionThreshold == nil)
        #expect(admin.rendered?.hasPrefix("# casetrack digest") == true)
        let reader = try await DigestCall.answer(
            .init(cohort: Self.small, format: nil), tracker: tracker, role: .reader)
        #expect(reader.digest.suppressionThreshold == 5)
        #expect(reader.rendered == nil)
        let published = try await DigestCall.answer(.init(cohort: nil, published: true), tracker: tracker, role: .admin)
        #expect(published.digest.suppressionThreshold == 5)
        await #expect(throws: TrackerError.self) {
            _ = try await DigestCall.answer(.init(cohort: "nobody"), tracker: tracker, role: .admin)
        }
        await #expect(throws: TrackerError.self) {
            _ = try await DigestCall.answer(.init(cohort: nil, format: "pdf"), tracker: tracker, role: .admin)
        }
    }

    @Test("the schedule: daily at 06:00 local across a daylight-saving change, every 6 hours, one catch-up")
    func schedule() throws {
        let newYork = try #require(TimeZone(identifier: "America/New_York"))
        let daily = try DigestSchedule(interval: 86_400, alignment: 6 * 3600, timeZone: newYork)
        // 2026-11-01 is the end of daylight saving time in New York.
        #expect(
            daily.slot(after: Timestamp(rfc3339: "2026-10-31T12:00:00Z")!) == Timestamp(
                rfc3339: "2026-11-01T11:00:00Z")!)
        #expect(
            daily.slot(after: Timestamp(rfc3339: "2026-10-30T12:00:00Z")!) == Timestamp(
                rfc3339: "2026-10-31T10:00:00Z")!)
        let sixHours = try DigestSchedule(interval: 6 * 3600)
        #expect(
            sixHours.slot(after: Timestamp(rfc3339: "2026-11-29T05:21:00Z")!) == Timestamp(
                rfc3339: "2026-11-29T06:00:00Z")!)
        #expect(
            sixHours.slot(atOrBefore: Timestamp(rfc3339: "2026-11-29T23:59:00Z")!) == Timestamp(
                rfc3339: "2026-11-29T18:00:00Z")!)
        let weekly = try DigestSchedule(interval: 7 * 86_400)
        let next = weekly.slot(after: Timestamp(rfc3339: "2026-11-29T00:00:00Z")!)
        #expect(weekly.slot(after: next) == next.adding(days: 7))
        // Three days down: due once; after the catch-up, not due until the next slot.
        let last = Timestamp(rfc3339: "2026-11-26T06:00:00Z")!
        let now = Timestamp(rfc3339: "2026-11-29T09:00:00Z")!
        let utcDaily = try DigestSchedule(interval: 86_400, alignment: 6 * 3600)
        #expect(utcDaily.isDue(now: now, last: last))
        #expect(!utcDaily.isDue(now: now.adding(seconds: 60), last: now))
        #expect(throws: DigestSchedule.Problem.self) { try DigestSchedule(interval: 7 * 3600) }
        #expect(throws: ConfigurationError.self) {
            try DaemonConfiguration.parse("digest: { every: 5x }", file: "c.yaml")
        }
        let parsed = try DaemonConfiguration.parse(
            "digest: { every: 6h, timezone: UTC, suppressBelow: 10 }", file: "c.yaml")
        #expect(parsed.digest.every == 21_600)
        #expect(parsed.digest.at == 0)
        #expect(parsed.digest.suppressionThreshold == 10)
    }
}
