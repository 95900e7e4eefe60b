import CaseTrackCore
import CaseTrackStore
import Foundation
import Logging
import Varlink

/// `io.casetrack.Tracker` over Varlink: checks the caller's role against
/// ``TrackerMethod``'s table, decodes parameters, calls the ``Tracker`` and
/// turns its refusals into the interface's typed errors.
struct TrackerInterface: VarlinkInterface {
    static let interfaceName = "io.casetrack.Tracker"

    let tracker: Tracker
    /// Re-reads configuration and pipelines (the daemon's reload).
    let reload: @Sendable () async throws -> Void

    var name: String { Self.interfaceName }
    var interfaceDescription: String { TrackerInterfaceDescription.text }

    func answerAtOnce(_ call: VarlinkCall, peer: VarlinkPeer) -> VarlinkAnswer? {
        guard let method = Self.method(call.method), method.answersAtOnce else { return nil }
        do {
            _ = try authorize(method, peer: peer)
            return try atOnce(method, call: call)
        } catch {
            // Anything but the interface's own errors is not expected of these
            // methods: the call then goes to `handle`, which reports it.
            return (answering(error, of: method) as? VarlinkError).map { .error($0) }
        }
    }

    /// The method a fully qualified name calls, if this interface has it.
    private static func method(_ qualified: String) -> TrackerMethod? {
        guard qualified.hasPrefix(interfaceName + ".") else { return nil }
        return TrackerMethod(rawValue: String(qualified.dropFirst(interfaceName.count + 1)))
    }

    func handle(_ call: VarlinkCall, peer: VarlinkPeer, replies: VarlinkReplyWriter) async throws {
        guard let method = Self.method(call.method) else { throw VarlinkError.methodNotFound(call.method) }
        let identity = try authorize(method, peer: peer)
        do {
            try await dispatch(method, call: call, identity: identity, replies: replies)
        } catch {
            throw answering(error, of: method)
        }
    }

    /// The interface's error for what the tracker or the store refused
    /// (logging a store failure); any other error as it is.
    private func answering(_ error: any Error, of method: TrackerMethod) -> any Error {
        switch error {
        case let error as TrackerError:
            return Self.error(error)
        case let error as StoreError:
            tracker.logger.error(
                "Store error: \(error)", metadata: ["MESSAGE_ID": "\(MessageID.storeError.rawValue)", "METHOD": "\(method.rawValue)"])
            return Self.error("StoreUnavailable", ["reason": .string(error.description)])
        case let error as ConfigurationError:
            return Self.error("InvalidArgument", ["parameter": .string("configuration"), "reason": .string(error.description)])
        default:
            return error
        }
    }

    /// Transitions, moves and intakes go to the store's writer from the
    /// event loop, and are answered from its completion.
    func start(_ call: VarlinkCall, peer: VarlinkPeer, finish: VarlinkFinish) -> Bool {
        guard let method = Self.method(call.method), method.startsWithoutTask else { return false }
        let submission: (mutation: Mutation, requestId: String?, reply: @Sendable (MutationResult) throws -> VarlinkAnswer)
        do {
            let identity = try authorize(method, peer: peer)
            switch method {
            case .transition:
                let input = try call.decodeParameters(Wire.TransitionIn.self)
                submission = (input.mutation, input.requestId, transitionReply)
            case .move:
                let input = try call.decodeParameters(Wire.MoveIn.self)
                submission = (input.mutation, input.requestId, Self.eventReply)
            case .intake:
                let input = try call.decodeParameters(Wire.IntakeIn.self)
                submission = (input.mutation, input.requestId, Self.eventReply)
            default:
                return false
            }
            try tracker.submit(submission.mutation, actor: identity, requestId: submission.requestId) { result in
                finish { [self] in
                    do {
                        let result = try result.get()
                        tracker.log(result, actor: identity)
                        return try submission.reply(result)
                    } catch {
                        throw answering(error, of: method)
                    }
                }
            }
        } catch {
            let answer = answering(error, of: method)
            finish { throw answer }
        }
        return true
    }

    private func transitionReply(_ result: MutationResult) throws -> VarlinkAnswer {
        guard case .transitioned(let record, let event) = result else { throw Self.mismatch(result) }
        return .json(Wire.TransitionOut(case: caseOut(record), event: event).json)
    }

    private static func eventReply(_ result: MutationResult) throws -> VarlinkAnswer {
        .json(Wire.EventOut(event: try result.event()).json)
    }

    /// The caller's identity, if its role may call `method`; else the
    /// refusal, logged.
    private func authorize(_ method: TrackerMethod, peer: VarlinkPeer) throws(VarlinkError) -> Identity {
        let identity = tracker.identity(uid: peer.uid, gid: peer.gid)
        let role = tracker.role(of: identity)
        guard role >= method.requiredRole else {
            tracker.logger.warning(
                "Permission denied: \(identity.name) (role \(role)) called \(method.rawValue), which needs \(method.requiredRole)",
                metadata: [
                    "MESSAGE_ID": "\(MessageID.permissionDenied.rawValue)", "METHOD": "\(method.rawValue)",
                    "ACTOR": "\(identity.name)", "PEER_UID": "\(peer.uid)", "PEER_PID": "\(peer.pid)",
                ])
            throw Self.error(
                "PermissionDenied",
                ["method": .string(method.rawValue), "required": .string(method.requiredRole.description), "actor": .string(identity.name)])
        }
        return identity
    }

    /// The answer to a method that ``TrackerMethod/answersAtOnce``, from what
    /// the daemon holds in memory; nil for any other method.
    private func atOnce(_ method: TrackerMethod, call: VarlinkCall) throws -> VarlinkAnswer? {
        let store = tracker.store
        switch method {
        case .getStatus:
            let totals = store.totals()
            let condition = store.condition
            return .parameters(
                Wire.Status(
                    version: Tracker.version, startedAt: tracker.startedAt, cohorts: totals.cohorts, cases: totals.cases,
                    events: totals.events, lastSeq: totals.lastSeq, store: store.location,
                    writable: condition.isWritable, storeError: condition.failure, storeErrorSince: condition.since))

        case .listPipelines:
            return .parameters(Wire.PipelinesOut(pipelines: tracker.pipelines.values.sorted { $0.name < $1.name }))

        case .describePipeline:
            let input = try call.decodeParameters(Wire.Name.self)
            guard let pipeline = tracker.pipelines[input.name] else { throw TrackerError.noSuchPipeline(name: input.name) }
            return .parameters(Wire.PipelineOut(pipeline: pipeline))

        case .listCohorts:
            let pipelines = tracker.pipelines
            return .parameters(
                Wire.CohortsOut(
                    cohorts: store.cohorts().map { Wire.CohortOut($0, pipeline: pipelines[$0.cohort.pipeline], withCounts: false) }))

        case .describeCohort:
            let input = try call.decodeParameters(Wire.ID.self)
            guard let summary = store.cohort(id: input.id) else { throw TrackerError.noSuchCohort(id: input.id) }
            return .json(
                Wire.OneCohortOut(
                    cohort: Wire.CohortOut(summary, pipeline: tracker.pipelines[summary.cohort.pipeline], withCounts: true)
                ).json)

        default:
            return nil
        }
    }

    private func dispatch(
        _ method: TrackerMethod, call: VarlinkCall, identity: Identity, replies: VarlinkReplyWriter
    ) async throws {
        let tracker = self.tracker
        let store = tracker.store
        switch method {
        case .getStatus, .listPipelines, .describePipeline, .listCohorts, .describeCohort:
            if let answer = try atOnce(method, call: call) { try await replies.send(answer) }

        case .getCase:
            let input = try call.decodeParameters(Wire.ID.self)
            guard let record = try await store.caseRecord(id: input.id) else { throw TrackerError.noSuchCase(id: input.id) }
            let history = try await store.history(caseId: input.id)
            try await replies.send(Wire.CaseHistoryOut(case: caseOut(record), history: history))

        case .listCases:
            let input = try call.decodeParameters(Wire.ListCasesIn.self)
            let maxLimit = tracker.limits.maxListLimit
            let limit = input.limit ?? 100
            guard limit >= 1, limit <= maxLimit else {
                throw TrackerError.invalidArgument(parameter: "limit", reason: "must be between 1 and \(maxLimit)")
            }
            let cases = try await store.cases(
                CaseQuery(
                    cohort: input.cohort, state: input.state, overdueAt: input.overdue == true ? tracker.now : nil,
                    after: input.after, limit: limit + 1))
            let page = cases.prefix(limit)
            var out: [Wire.CaseOut] = []
            for record in page { out.append(caseOut(record)) }
            try await replies.send(Wire.CasesOut(cases: out, next: cases.count > limit ? page.last?.id : nil))

        case .history:
            let input = try call.decodeParameters(Wire.HistoryIn.self)
            let maxLimit = tracker.limits.maxListLimit
            let limit = input.limit ?? 100
            guard limit >= 1, limit <= maxLimit else {
                throw TrackerError.invalidArgument(parameter: "limit", reason: "must be between 1 and \(maxLimit)")
            }
            let events = try await store.events(
                EventQuery(cohort: input.cohort, afterSeq: max(0, input.afterSeq ?? 0), limit: limit))
            try await replies.send(Wire.EventsOut(events: events))

        case .watch:
            guard call.more else { throw VarlinkError.expectedMore }
            let input = try call.decodeParameters(Wire.WatchIn.self)
            if let cohort = input.cohort, store.cohort(id: cohort) == nil {
                throw TrackerError.noSuchCohort(id: cohort)
            }
            let limit = tracker.limits.maxWatchers
            let admitted = tracker.watchers.withLock { count in
                guard count < limit else { return false }
                count += 1
                return true
            }
            guard admitted else {
                tracker.logger.warning("Refusing a Watch: \(limit) streams are open (limits.maxWatchers)")
                throw Self.error("LimitReached", ["limit": .string("maxWatchers"), "value": .int(Int64(limit))])
            }
            defer { tracker.watchers.withLock { $0 -= 1 } }
            try await watch(cohort: input.cohort, afterSeq: input.afterSeq, replies: replies)

        case .digest:
            let input = try call.decodeParameters(DigestCall.Parameters.self)
            try await replies.send(try await DigestCall.answer(input, tracker: tracker, role: tracker.role(of: identity)))

        case .listDigests:
            try await replies.send(DigestCall.list(tracker: tracker))

        case .verify:
            let problems = try await store.verify()
            try await replies.send(Wire.VerifyOut(ok: problems.isEmpty, problems: problems))

        case .intake:
            let input = try call.decodeParameters(Wire.IntakeIn.self)
            let result = try await tracker.mutate(input.mutation, actor: identity, requestId: input.requestId)
            try await replies.send(Self.eventReply(result))

        case .move:
            let input = try call.decodeParameters(Wire.MoveIn.self)
            let result = try await tracker.mutate(input.mutation, actor: identity, requestId: input.requestId)
            try await replies.send(Self.eventReply(result))

        case .addCase:
            let input = try call.decodeParameters(Wire.AddCaseIn.self)
            let result = try await tracker.mutate(
                .addCase(
                    cohort: input.cohort,
                    NewCase(
                        id: input.id, persons: input.persons, state: input.state, attributes: input.attributes ?? [:],
                        fromUnregistered: input.fromUnregistered ?? false)),
                actor: identity, requestId: input.requestId)
            guard case .addedCase(let record) = result else { throw Self.mismatch(result) }
            try await replies.send(Wire.OneCaseOut(case: caseOut(record)))

        case .importCases:
            let input = try call.decodeParameters(Wire.ImportCasesIn.self)
            let maxBatch = tracker.limits.maxImportBatch
            guard input.cases.count <= maxBatch else {
                throw TrackerError.invalidArgument(
                    parameter: "cases", reason: "at most \(maxBatch) cases per call (limits.maxImportBatch); send several")
            }
            let result = try await tracker.mutate(
                .importCases(cohort: input.cohort, cases: input.cases.map(\.newCase)), actor: identity,
                requestId: input.requestId)
            guard case .imported(let count) = result else { throw Self.mismatch(result) }
            try await replies.send(Wire.ImportedOut(added: count))

        case .transition:
            let input = try call.decodeParameters(Wire.TransitionIn.self)
            let result = try await tracker.mutate(input.mutation, actor: identity, requestId: input.requestId)
            try await replies.send(transitionReply(result))

        case .createCohort:
            let input = try call.decodeParameters(Wire.CreateCohortIn.self)
            let result = try await tracker.mutate(
                .createCohort(id: input.id, pipeline: input.pipeline, title: input.title, attributes: input.attributes ?? [:]),
                actor: identity, requestId: input.requestId)
            guard case .cohort(let cohort) = result else { throw Self.mismatch(result) }
            try await replies.send(
                Wire.OneCohortOut(
                    cohort: Wire.CohortOut(
                        CohortCounts(cohort: cohort, counts: []), pipeline: tracker.pipelines[cohort.pipeline],
                        withCounts: true)))

        case .reload:
            try await reload()
            try await replies.send(Wire.Empty())

        case .purge:
            let input = try call.decodeParameters(Wire.PurgeIn.self)
            guard let closedBefore = Timestamp(rfc3339: input.closedBefore) else {
                throw TrackerError.invalidArgument(
                    parameter: "closedBefore", reason: "an RFC 3339 date or time, e.g. 2026-01-01")
            }
            let result = try await tracker.mutate(
                .purge(closedBefore: closedBefore), actor: identity, requestId: input.requestId)
            guard case .purged(let cases, let persons) = result else { throw Self.mismatch(result) }
            try await replies.send(Wire.PurgedOut(cases: cases, persons: persons))

        case .backup:
            let input = try call.decodeParameters(Wire.BackupIn.self)
            guard input.path.hasPrefix("/"), !input.path.contains("\0") else {
                throw TrackerError.invalidArgument(parameter: "path", reason: "must be an absolute path on the daemon's host")
            }
            let bytes = try await store.backup(to: input.path)
            tracker.logger.notice("Store backed up to \(input.path) (\(bytes) bytes) for \(identity.name)")
            try await replies.send(Wire.BackupOut(path: input.path, bytes: bytes))
        }
    }

    private func caseOut(_ record: Case) -> Wire.CaseOut {
        Wire.CaseOut(record, pipeline: tracker.pipeline(ofCohort: record.cohort), now: tracker.now)
    }

    /// Streams the log: first what follows `afterSeq` (or only what is new),
    /// then each event as it is committed.
    private func watch(cohort: String?, afterSeq: Int64?, replies: VarlinkReplyWriter) async throws {
        let store = tracker.store
        let commits = store.commits()
        var cursor = afterSeq ?? store.lastSeq
        var iterator = commits.makeAsyncIterator()
        while !Task.isCancelled {
            let known = store.lastSeq
            let events = try await store.events(EventQuery(cohort: cohort, afterSeq: cursor, limit: 512))
            for event in events { try await replies.send(json: Wire.EventOut(event: event).json, continues: true) }
            cursor = max(events.last?.seq ?? cursor, events.count < 512 ? known : cursor)
            if events.count == 512 { continue }
            guard await iterator.next() != nil else { return }
        }
    }

    static func mismatch(_ result: MutationResult) -> VarlinkError {
        VarlinkError(name: "org.varlink.service.InvalidParameter", parameters: ["parameter": .string("requestId")])
    }

    static func error(_ name: String, _ parameters: [String: JSONValue]) -> VarlinkError {
        VarlinkError(name: "\(interfaceName).\(name)", parameters: parameters)
    }

    static func error(_ error: TrackerError) -> VarlinkError {
        switch error {
        case .noSuchPipeline(let name): Self.error("NoSuchPipeline", ["name": .string(name)])
        case .noSuchCohort(let id): Self.error("NoSuchCohort", ["id": .string(id)])
        case .noSuchCase(let id): Self.error("NoSuchCase", ["id": .string(id)])
        case .noSuchState(let pipeline, let state):
            Self.error("NoSuchState", ["pipeline": .string(pipeline), "state": .string(state)])
        case .invalidTransition(let caseId, let state, let event, let to, let allowed):
            Self.error(
                "InvalidTransition",
                [
                    "caseId": caseId.map(JSONValue.string) ?? .null, "state": .string(state),
                    "event": event.map(JSONValue.string) ?? .null, "to": to.map(JSONValue.string) ?? .null,
                    "allowed": .array(allowed.map(JSONValue.string)),
                ].filter { $0.value != .null })
        case .insufficientCount(let cohort, let state, let requested, let available):
            Self.error(
                "InsufficientCount",
                [
                    "cohort": .string(cohort), "state": .string(state), "requested": .int(Int64(requested)),
                    "available": .int(Int64(available)),
                ])
        case .alreadyExists(let kind, let id): Self.error("AlreadyExists", ["kind": .string(kind), "id": .string(id)])
        case .stateConflict(let caseId, let expected, let actual):
            Self.error(
                "StateConflict", ["caseId": .string(caseId), "expected": .string(expected), "actual": .string(actual)])
        case .invalidArgument(let parameter, let reason):
            Self.error("InvalidArgument", ["parameter": .string(parameter), "reason": .string(reason)])
        }
    }
}

extension MutationResult {
    func event() throws -> Event {
        guard case .event(let event) = self else { throw TrackerInterface.mismatch(self) }
        return event
    }
}

extension Wire.TransitionIn {
    var mutation: Mutation {
        .transition(caseId: caseId, event: event, to: to, expectedState: expectedState, note: note)
    }
}

extension Wire.MoveIn {
    var mutation: Mutation {
        .move(cohort: cohort, from: from, to: to, event: event, persons: persons, note: note)
    }
}

extension Wire.IntakeIn {
    var mutation: Mutation {
        .intake(cohort: cohort, state: state, persons: persons, note: note)
    }
}
