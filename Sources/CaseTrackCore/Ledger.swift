/// Read access to the current state that a ``Ledger`` plans against.
///
/// A store implements it inside its write transaction, so that each plan
/// sees every change made before it.
public protocol LedgerReader {
    func cohort(_ id: String) throws -> Cohort?
    func caseRecord(_ id: String) throws -> Case?
    func unregistered(cohort: String, state: String) throws -> Int
    /// Every case of a cohort in a state.
    func cases(cohort: String, state: String) throws -> [Case]
    /// Whether a case id is taken (cheaper than reading the case).
    func caseExists(_ id: String) throws -> Bool
    /// Cases of cohorts under `pipeline` that entered one of `states` before `time`.
    func cases(pipeline: String, states: [String], enteredBefore time: Timestamp) throws -> [Case]
}

extension LedgerReader {
    public func caseExists(_ id: String) throws -> Bool { try caseRecord(id) != nil }
}

/// One change to apply to the stored state, in order.
public enum LedgerEffect: Sendable, Hashable {
    case createCohort(Cohort)
    /// Registers a case in its state: that state gains a case and its persons.
    case addCase(Case)
    /// Moves a case: `from` loses it, its new state gains it.
    case moveCase(Case, from: String)
    /// Deletes a case and strips its id from the log; its state loses it.
    case removeCase(Case)
    /// Changes the unregistered pool of a cohort's state by `delta` persons.
    case adjustPool(cohort: String, state: String, delta: Int)
    /// Appends an event; the store assigns its sequence number.
    case appendEvent(Event)
}

/// The effects of one mutation and how to answer it.
public struct LedgerPlan: Sendable {
    public var effects: [LedgerEffect]
    let answer: Answer

    enum Answer: Sendable {
        case cohort(Cohort)
        case lastEvent
        case addedCase(Case)
        case imported(Int)
        case transitioned(Case)
        case migrated(cases: Int, persons: Int)
        case purged(cases: Int, persons: Int)
    }

    /// The answer, given the events the store appended (with their sequence numbers).
    public func result(appended events: [Event]) -> MutationResult {
        switch answer {
        case .cohort(let cohort): .cohort(cohort)
        case .lastEvent: .event(events[events.count - 1])
        case .addedCase(let record): .addedCase(record)
        case .imported(let count): .imported(count)
        case .transitioned(let record): .transitioned(record, events[events.count - 1])
        case .migrated(let cases, let persons): .migrated(cases: cases, persons: persons)
        case .purged(let cases, let persons): .purged(cases: cases, persons: persons)
        }
    }
}

/// The rules of the domain: turns a mutation into effects, or refuses it.
///
/// Pure: it reads through a ``LedgerReader`` and writes nothing.
public struct Ledger: Sendable {
    public var pipelines: [String: Pipeline]

    public init(pipelines: [String: Pipeline]) { self.pipelines = pipelines }

    public static let maxPersonsPerCase = 1_000
    public static let maxPersonsPerMove = 100_000_000

    public func plan(
        _ mutation: Mutation, context: MutationContext, reader: some LedgerReader
    ) throws -> LedgerPlan {
        let now = context.time
        func event(
            _ kind: EventKind, cohort: String, caseId: String? = nil, event name: String? = nil,
            from: String? = nil, to: String? = nil, persons: Int, note: String? = nil
        ) -> Event {
            Event(
                seq: 0, time: now, actor: context.actor, kind: kind, cohort: cohort, caseId: caseId,
                event: name, from: from, to: to, persons: persons, note: note, requestId: context.requestId)
        }

        switch mutation {
        case .createCohort(let id, let pipelineName, let title, let attributes):
            guard Identifier.isValidName(id) else {
                throw TrackerError.invalidArgument(
                    parameter: "id", reason: "use a-z, 0-9, '-', '_', '.', starting with a letter or digit, up to 64")
            }
            if let title { try Self.checkText(title, parameter: "title", max: 256) }
            try Self.checkAttributes(attributes)
            guard let pipeline = pipelines[pipelineName] else { throw TrackerError.noSuchPipeline(name: pipelineName) }
            guard try reader.cohort(id) == nil else { throw TrackerError.alreadyExists(kind: "cohort", id: id) }
            let cohort = Cohort(
                id: id, pipeline: pipeline.name, pipelineVersion: pipeline.version, title: title,
                attributes: attributes, createdAt: now)
            return LedgerPlan(
                effects: [.createCohort(cohort), .appendEvent(event(.cohortCreated, cohort: id, persons: 0))],
                answer: .cohort(cohort))

        case .intake(let cohortID, let stateName, let persons, let note):
            let (_, pipeline) = try cohortAndPipeline(cohortID, reader: reader)
            try Self.checkPersons(persons, max: Self.maxPersonsPerMove)
            try Self.checkNote(note)
            let state = try state(stateName, in: pipeline) ?? pipeline.defaultInitialState
            return LedgerPlan(
                effects: [
                    .adjustPool(cohort: cohortID, state: state.name, delta: persons),
                    .appendEvent(event(.intake, cohort: cohortID, to: state.name, persons: persons, note: note)),
                ],
                answer: .lastEvent)

        case .move(let cohortID, let fromName, let toName, let eventName, let persons, let note):
            let (_, pipeline) = try cohortAndPipeline(cohortID, reader: reader)
            try Self.checkPersons(persons, max: Self.maxPersonsPerMove)
            try Self.checkNote(note)
            guard let from = try state(fromName, in: pipeline) else { throw TrackerError.invalidArgument(parameter: "from", reason: "required") }
            if let toName { _ = try state(toName, in: pipeline) }
            let transition = try resolve(pipeline, caseId: nil, from: from.name, event: eventName, to: toName)
            let available = try reader.unregistered(cohort: cohortID, state: from.name)
            guard available >= persons else {
                throw TrackerError.insufficientCount(
                    cohort: cohortID, state: from.name, requested: persons, available: available)
            }
            return LedgerPlan(
                effects: [
                    .adjustPool(cohort: cohortID, state: from.name, delta: -persons),
                    .adjustPool(cohort: cohortID, state: transition.to, delta: persons),
                    .appendEvent(
                        event(
                            .move, cohort: cohortID, event: transition.event, from: from.name, to: transition.to,
                            persons: persons, note: note)),
                ],
                answer: .lastEvent)

        case .addCase(let cohortID, let newCase):
            let (_, pipeline) = try cohortAndPipeline(cohortID, reader: reader)
            var effects: [LedgerEffect] = []
            let record = try register(
                newCase, cohort: cohortID, pipeline: pipeline, context: context, reader: reader,
                drawn: [:], effects: &effects)
            return LedgerPlan(effects: effects, answer: .addedCase(record))

        case .importCases(let cohortID, let cases):
            let (_, pipeline) = try cohortAndPipeline(cohortID, reader: reader)
            guard !cases.isEmpty else { throw TrackerError.invalidArgument(parameter: "cases", reason: "empty") }
            var effects: [LedgerEffect] = []
            effects.reserveCapacity(cases.count * 3)
            var seen: Set<String> = []
            seen.reserveCapacity(cases.count)
            var drawn: [String: Int] = [:]
            for (index, newCase) in cases.enumerated() {
                guard seen.insert(newCase.id).inserted else {
                    throw TrackerError.invalidArgument(
                        parameter: "cases[\(index)].id", reason: "case '\(newCase.id)' appears twice in the import")
                }
                do {
                    let record = try register(
                        newCase, cohort: cohortID, pipeline: pipeline, context: context, reader: reader,
                        drawn: drawn, effects: &effects)
                    if newCase.fromUnregistered { drawn[record.state, default: 0] += record.persons }
                } catch TrackerError.invalidArgument(let parameter, let reason) {
                    throw TrackerError.invalidArgument(parameter: "cases[\(index)].\(parameter)", reason: reason)
                }
            }
            return LedgerPlan(effects: effects, answer: .imported(cases.count))

        case .transition(let caseId, let eventName, let toName, let expectedState, let note):
            try Self.checkNote(note)
            guard var record = try reader.caseRecord(caseId) else { throw TrackerError.noSuchCase(id: caseId) }
            if let expectedState, expectedState != record.state {
                throw TrackerError.stateConflict(caseId: caseId, expected: expectedState, actual: record.state)
            }
            let (_, pipeline) = try cohortAndPipeline(record.cohort, reader: reader)
            if let toName { _ = try state(toName, in: pipeline) }
            let transition = try resolve(pipeline, caseId: caseId, from: record.state, event: eventName, to: toName)
            let from = record.state
            record.state = transition.to
            record.enteredAt = now
            record.pipelineVersion = pipeline.version
            return LedgerPlan(
                effects: [
                    .moveCase(record, from: from),
                    .appendEvent(
                        event(
                            .transition, cohort: record.cohort, caseId: caseId, event: transition.event, from: from,
                            to: transition.to, persons: record.persons, note: note)),
                ],
                answer: .transitioned(record))

        case .migrateState(let cohortID, let from, let target):
            let (_, pipeline) = try cohortAndPipeline(cohortID, reader: reader)
            guard pipeline.state(named: from) == nil else {
                throw TrackerError.invalidArgument(parameter: "from", reason: "'\(from)' is still a state of \(pipeline.name)")
            }
            _ = try state(target, in: pipeline)
            var effects: [LedgerEffect] = []
            var persons = 0
            let cases = try reader.cases(cohort: cohortID, state: from)
            for var record in cases {
                record.state = target
                record.enteredAt = now
                record.pipelineVersion = pipeline.version
                effects.append(.moveCase(record, from: from))
                effects.append(
                    .appendEvent(
                        event(
                            .transition, cohort: cohortID, caseId: record.id, event: "migrate", from: from, to: target,
                            persons: record.persons, note: "pipeline \(pipeline.name) version \(pipeline.version)")))
                persons += record.persons
            }
            let pool = try reader.unregistered(cohort: cohortID, state: from)
            if pool > 0 {
                effects.append(.adjustPool(cohort: cohortID, state: from, delta: -pool))
                effects.append(.adjustPool(cohort: cohortID, state: target, delta: pool))
                effects.append(
                    .appendEvent(
                        event(
                            .move, cohort: cohortID, event: "migrate", from: from, to: target, persons: pool,
                            note: "pipeline \(pipeline.name) version \(pipeline.version)")))
            }
            return LedgerPlan(effects: effects, answer: .migrated(cases: cases.count, persons: persons + pool))

        case .purge(let closedBefore):
            guard closedBefore <= now else {
                throw TrackerError.invalidArgument(parameter: "closedBefore", reason: "must not be in the future")
            }
            var effects: [LedgerEffect] = []
            var persons = 0
            var count = 0
            for pipeline in pipelines.values.sorted(by: { $0.name < $1.name }) {
                let terminal = pipeline.states.filter(\.isTerminal).map(\.name)
                guard !terminal.isEmpty else { continue }
                for record in try reader.cases(pipeline: pipeline.name, states: terminal, enteredBefore: closedBefore) {
                    effects.append(.removeCase(record))
                    effects.append(.adjustPool(cohort: record.cohort, state: record.state, delta: record.persons))
                    effects.append(
                        .appendEvent(
                            event(
                                .purge, cohort: record.cohort, from: record.state, to: record.state,
                                persons: record.persons, note: "closed before \(closedBefore.date)")))
                    persons += record.persons
                    count += 1
                }
            }
            return LedgerPlan(effects: effects, answer: .purged(cases: count, persons: persons))
        }
    }

    private func register(
        _ newCase: NewCase, cohort: String, pipeline: Pipeline, context: MutationContext,
        reader: some LedgerReader, drawn: [String: Int], effects: inout [LedgerEffect]
    ) throws -> Case {
        guard Identifier.isValidCaseID(newCase.id) else {
            throw TrackerError.invalidArgument(
                parameter: "id",
                reason: "'\(newCase.id.prefix(80))' is not an opaque case reference (A-Z, a-z, 0-9, '-', '_', '.', ':', '/'; up to 64)")
        }
        try Self.checkPersons(newCase.persons, max: Self.maxPersonsPerCase)
        try Self.checkAttributes(newCase.attributes)
        let state = try state(newCase.state, in: pipeline) ?? pipeline.defaultInitialState
        guard try !reader.caseExists(newCase.id) else {
            throw TrackerError.alreadyExists(kind: "case", id: newCase.id)
        }
        if newCase.fromUnregistered {
            let available = try reader.unregistered(cohort: cohort, state: state.name) - drawn[state.name, default: 0]
            guard available >= newCase.persons else {
                throw TrackerError.insufficientCount(
                    cohort: cohort, state: state.name, requested: newCase.persons, available: available)
            }
            effects.append(.adjustPool(cohort: cohort, state: state.name, delta: -newCase.persons))
        }
        let record = Case(
            id: newCase.id, cohort: cohort, persons: newCase.persons, state: state.name, enteredAt: context.time,
            pipelineVersion: pipeline.version, attributes: newCase.attributes, createdAt: context.time)
        effects.append(.addCase(record))
        effects.append(
            .appendEvent(
                Event(
                    seq: 0, time: context.time, actor: context.actor, kind: .caseAdded, cohort: cohort,
                    caseId: record.id, from: newCase.fromUnregistered ? state.name : nil, to: state.name,
                    persons: record.persons, requestId: context.requestId)))
        return record
    }

    private func cohortAndPipeline(_ id: String, reader: some LedgerReader) throws -> (Cohort, Pipeline) {
        guard let cohort = try reader.cohort(id) else { throw TrackerError.noSuchCohort(id: id) }
        guard let pipeline = pipelines[cohort.pipeline] else { throw TrackerError.noSuchPipeline(name: cohort.pipeline) }
        return (cohort, pipeline)
    }

    private func state(_ name: String?, in pipeline: Pipeline) throws -> PipelineState? {
        guard let name else { return nil }
        guard let state = pipeline.state(named: name) else {
            throw TrackerError.noSuchState(pipeline: pipeline.name, state: name)
        }
        return state
    }

    private func resolve(
        _ pipeline: Pipeline, caseId: String?, from state: String, event: String?, to target: String?
    ) throws -> PipelineTransition {
        guard event != nil || target != nil else {
            throw TrackerError.invalidArgument(parameter: "event", reason: "name an event or a target state ('to')")
        }
        guard let transition = pipeline.resolve(from: state, event: event, to: target) else {
            throw TrackerError.invalidTransition(
                caseId: caseId, state: state, event: event, to: target,
                allowed: pipeline.transitions(from: state).map(\.event))
        }
        return transition
    }

    static func checkPersons(_ persons: Int, max: Int) throws {
        guard persons >= 1, persons <= max else {
            throw TrackerError.invalidArgument(parameter: "persons", reason: "must be between 1 and \(max), not \(persons)")
        }
    }

    static func checkNote(_ note: String?) throws {
        if let note { try checkText(note, parameter: "note", max: Identifier.maxNoteLength) }
    }

    static func checkText(_ text: String, parameter: String, max: Int) throws {
        guard Identifier.isValidText(text, maxLength: max) else {
            throw TrackerError.invalidArgument(
                parameter: parameter, reason: "at most \(max) bytes of text without control characters")
        }
    }

    static func checkAttributes(_ attributes: [String: String]) throws {
        guard attributes.count <= Identifier.maxAttributes else {
            throw TrackerError.invalidArgument(
                parameter: "attributes", reason: "at most \(Identifier.maxAttributes) attributes")
        }
        for (key, value) in attributes {
            guard Identifier.isValidAttributeKey(key) else {
                throw TrackerError.invalidArgument(
                    parameter: "attributes", reason: "key '\(key.prefix(80))' is not valid (A-Z, a-z, 0-9, '-', '_')")
            }
            try checkText(value, parameter: "attributes.\(key)", max: Identifier.maxAttributeValueLength)
        }
    }
}
