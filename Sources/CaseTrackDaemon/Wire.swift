import CaseTrackCore
import CaseTrackStore
import Varlink

/// The shapes of `io.casetrack.Tracker`'s parameters and replies, as its
/// IDL (`io.casetrack.Tracker.varlink`) declares them.
enum Wire {
    struct Empty: Codable, Sendable {}

    struct Status: Encodable, Sendable {
        var version: String
        var startedAt: Timestamp
        var cohorts: Int
        var cases: Int
        var events: Int64
        var lastSeq: Int64
        var store: String
        var writable: Bool
        var storeError: String?
        var storeErrorSince: Timestamp?
    }

    struct StateCountOut: Encodable, Sendable {
        var state: String
        var cases: Int
        var casePersons: Int
        var unregistered: Int
        var persons: Int
    }

    struct CohortOut: Encodable, Sendable {
        var id: String
        var pipeline: String
        var pipelineVersion: Int
        var title: String?
        var attributes: [String: String]
        var createdAt: Timestamp
        var cases: Int
        var persons: Int
        var counts: [StateCountOut]?

        /// A cohort and, when `withCounts`, its counts for every state in pipeline order.
        init(_ summary: CohortCounts, pipeline: Pipeline?, withCounts: Bool) {
            let cohort = summary.cohort
            id = cohort.id
            self.pipeline = cohort.pipeline
            pipelineVersion = cohort.pipelineVersion
            title = cohort.title
            attributes = cohort.attributes
            createdAt = cohort.createdAt
            cases = summary.counts.reduce(0) { $0 + $1.cases }
            persons = summary.counts.reduce(0) { $0 + $1.persons }
            guard withCounts else { return }
            var byState: [String: StateCount] = [:]
            for count in summary.counts { byState[count.state] = count }
            var ordered: [StateCount] = []
            for state in pipeline?.states ?? [] {
                ordered.append(byState.removeValue(forKey: state.name) ?? StateCount(state: state.name))
            }
            ordered += byState.values.filter { !$0.isZero }.sorted { $0.state < $1.state }
            counts = ordered.map {
                StateCountOut(
                    state: $0.state, cases: $0.cases, casePersons: $0.casePersons, unregistered: $0.unregistered,
                    persons: $0.persons)
            }
        }
    }

    struct CaseOut: Encodable, Sendable {
        var id: String
        var cohort: String
        var persons: Int
        var state: String
        var enteredAt: Timestamp
        var pipelineVersion: Int
        var attributes: [String: String]
        var createdAt: Timestamp
        var overdue: Bool

        init(_ record: Case, pipeline: Pipeline?, now: Timestamp) {
            id = record.id
            cohort = record.cohort
            persons = record.persons
            state = record.state
            enteredAt = record.enteredAt
            pipelineVersion = record.pipelineVersion
            attributes = record.attributes
            createdAt = record.createdAt
            overdue = pipeline.map { record.isOverdue(in: $0, at: now) } ?? false
        }
    }

    struct NewCaseIn: Decodable, Sendable, Equatable {
        var id: String
        var persons: Int
        var state: String?
        var attributes: [String: String]?
        var fromUnregistered: Bool?

        var newCase: NewCase {
            NewCase(
                id: id, persons: persons, state: state, attributes: attributes ?? [:],
                fromUnregistered: fromUnregistered ?? false)
        }
    }

    struct Name: Decodable, Sendable { var name: String }
    struct ID: Decodable, Sendable, Equatable { var id: String }
    struct OptionalCohort: Decodable, Sendable { var cohort: String? }

    struct CreateCohortIn: Decodable, Sendable {
        var id: String
        var pipeline: String
        var title: String?
        var attributes: [String: String]?
        var requestId: String?
    }

    struct IntakeIn: Decodable, Sendable {
        var cohort: String
        var state: String?
        var persons: Int
        var note: String?
        var requestId: String?
    }

    struct MoveIn: Decodable, Sendable, Equatable {
        var cohort: String
        var from: String
        var to: String?
        var event: String?
        var persons: Int
        var note: String?
        var requestId: String?
    }

    struct AddCaseIn: Decodable, Sendable {
        var cohort: String
        var id: String
        var persons: Int
        var state: String?
        var attributes: [String: String]?
        var fromUnregistered: Bool?
        var requestId: String?
    }

    struct ImportCasesIn: Decodable, Sendable, Equatable {
        var cohort: String
        var cases: [NewCaseIn]
        var requestId: String?
    }

    struct TransitionIn: Decodable, Sendable, Equatable {
        var caseId: String
        var event: String?
        var to: String?
        var expectedState: String?
        var note: String?
        var requestId: String?
    }

    struct ListCasesIn: Decodable, Sendable {
        var cohort: String?
        var state: String?
        var overdue: Bool?
        var limit: Int?
        var after: String?
    }

    struct HistoryIn: Decodable, Sendable {
        var cohort: String?
        var afterSeq: Int64?
        var limit: Int?
    }

    struct WatchIn: Decodable, Sendable {
        var cohort: String?
        var afterSeq: Int64?
    }

    struct BackupIn: Decodable, Sendable { var path: String }
    struct PurgeIn: Decodable, Sendable {
        var closedBefore: String
        var requestId: String?
    }
    struct PurgedOut: Encodable, Sendable {
        var cases: Int
        var persons: Int
    }

    struct PipelinesOut: Encodable, Sendable { var pipelines: [Pipeline] }
    struct PipelineOut: Encodable, Sendable { var pipeline: Pipeline }
    struct CohortsOut: Encodable, Sendable { var cohorts: [CohortOut] }
    struct OneCohortOut: Encodable, Sendable { var cohort: CohortOut }
    struct EventOut: Encodable, Sendable { var event: Event }
    struct OneCaseOut: Encodable, Sendable { var `case`: CaseOut }
    struct ImportedOut: Encodable, Sendable { var added: Int }
    struct TransitionOut: Encodable, Sendable {
        var `case`: CaseOut
        var event: Event
    }
    struct CaseHistoryOut: Encodable, Sendable {
        var `case`: CaseOut
        var history: [Event]
    }
    struct CasesOut: Encodable, Sendable {
        var cases: [CaseOut]
        var next: String?
    }
    struct EventsOut: Encodable, Sendable { var events: [Event] }
    struct VerifyOut: Encodable, Sendable {
        var ok: Bool
        var problems: [VerificationProblem]
    }
    struct BackupOut: Encodable, Sendable {
        var path: String
        var bytes: Int64
    }
}

// The replies sent most often, written with JSONWriter: the same members
// their Encodable conformances produce (a test holds the two equal).

extension Wire.CohortOut {
    func write(to json: inout JSONWriter) {
        json.beginObject()
        json.member("id", id)
        json.member("pipeline", pipeline)
        json.member("pipelineVersion", pipelineVersion)
        json.member("title", title)
        json.member("attributes", attributes)
        json.member("createdAt", createdAt.rfc3339)
        json.member("cases", cases)
        json.member("persons", persons)
        if let counts {
            json.key("counts")
            json.beginArray()
            for count in counts {
                json.beginObject()
                json.member("state", count.state)
                json.member("cases", count.cases)
                json.member("casePersons", count.casePersons)
                json.member("unregistered", count.unregistered)
                json.member("persons", count.persons)
                json.endObject()
            }
            json.endArray()
        }
        json.endObject()
    }
}

extension Wire.OneCohortOut {
    var json: JSONWriter {
        var json = JSONWriter()
        json.beginObject()
        json.key("cohort")
        cohort.write(to: &json)
        json.endObject()
        return json
    }
}

extension Wire.CaseOut {
    func write(to json: inout JSONWriter) {
        json.beginObject()
        json.member("id", id)
        json.member("cohort", cohort)
        json.member("persons", persons)
        json.member("state", state)
        json.member("enteredAt", enteredAt.rfc3339)
        json.member("pipelineVersion", pipelineVersion)
        json.member("attributes", attributes)
        json.member("createdAt", createdAt.rfc3339)
        json.member("overdue", overdue)
        json.endObject()
    }
}

extension Wire.TransitionOut {
    var json: JSONWriter {
        var json = JSONWriter()
        json.beginObject()
        json.key("case")
        self.case.write(to: &json)
        json.key("event")
        Wire.write(event, to: &json)
        json.endObject()
        return json
    }
}

extension Wire.EventOut {
    var json: JSONWriter {
        var json = JSONWriter()
        json.beginObject()
        json.key("event")
        Wire.write(event, to: &json)
        json.endObject()
        return json
    }
}

extension Wire {
    static func write(_ event: Event, to json: inout JSONWriter) {
        json.beginObject()
        json.member("seq", event.seq)
        json.member("time", event.time.rfc3339)
        json.member("actor", event.actor)
        json.member("kind", event.kind.rawValue)
        json.member("cohort", event.cohort)
        json.member("caseId", event.caseId)
        json.member("event", event.event)
        json.member("from", event.from)
        json.member("to", event.to)
        json.member("persons", event.persons)
        json.member("note", event.note)
        json.member("requestId", event.requestId)
        json.endObject()
    }
}
