/// The IDL of `io.casetrack.Tracker`, as `org.varlink.service.GetInterfaceDescription`
/// returns it. Kept identical to `io.casetrack.Tracker.varlink` beside this
/// file (a test compares them); edit both together.
enum TrackerInterfaceDescription {
    static let text = """
        # Tracks refugee and visa case pipelines: cohorts of people, the cases in
        # them, and every status transition through a pipeline's state machine.
        # Times are RFC 3339 UTC strings; persons and counts are integers.
        # Mutations accept a requestId: a retried call with the same requestId is
        # applied once and answered with the first result.
        interface io.casetrack.Tracker

        # One state of a pipeline. A terminal state has an outcome and accepts no
        # transitions.
        type PipelineState (
          name: string,
          title: string,
          initial: bool,
          outcome: ?string,
          slaDays: ?int
        )

        # A named transition: `event` moves a case from any of `from` to `to`.
        type PipelineTransition (
          event: string,
          from: []string,
          to: string
        )

        type Pipeline (
          name: string,
          version: int,
          title: string,
          states: []PipelineState,
          transitions: []PipelineTransition
        )

        # Counts of one cohort in one state: registered cases and their persons,
        # and unregistered persons known only as a number.
        type StateCount (
          state: string,
          cases: int,
          casePersons: int,
          unregistered: int,
          persons: int
        )

        type Cohort (
          id: string,
          pipeline: string,
          pipelineVersion: int,
          title: ?string,
          attributes: [string]string,
          createdAt: string,
          cases: int,
          persons: int,
          counts: ?[]StateCount
        )

        type Case (
          id: string,
          cohort: string,
          persons: int,
          state: string,
          enteredAt: string,
          pipelineVersion: int,
          attributes: [string]string,
          createdAt: string,
          overdue: bool
        )

        # One entry of the append-only event log. kind is one of cohort-created,
        # intake, move, case-added, transition, purge.
        type Event (
          seq: int,
          time: string,
          actor: string,
          kind: string,
          cohort: string,
          caseId: ?string,
          event: ?string,
          from: ?string,
          to: ?string,
          persons: int,
          note: ?string,
          requestId: ?string
        )

        # A case to register. state defaults to the pipeline's first initial state;
        # fromUnregistered draws its persons from the cohort's unregistered pool in
        # that state.
        type NewCase (
          id: string,
          persons: int,
          state: ?string,
          attributes: ?[string]string,
          fromUnregistered: ?bool
        )

        # A scheduled digest written to the state directory.
        type DigestFile (
          name: string,
          time: string,
          formats: []string,
          bytes: int
        )

        type Problem (
          check: string,
          message: string
        )

        # The daemon, its store and its totals. writable is false while the
        # store's writes fail (disk full, read-only, I/O error): storeError says
        # why and storeErrorSince since when; reads are still served, and the
        # store retries on its own.
        method GetStatus() -> (
          version: string,
          startedAt: string,
          cohorts: int,
          cases: int,
          events: int,
          lastSeq: int,
          store: string,
          writable: bool,
          storeError: ?string,
          storeErrorSince: ?string
        )

        method ListPipelines() -> (pipelines: []Pipeline)

        method DescribePipeline(name: string) -> (pipeline: Pipeline)

        method CreateCohort(
          id: string,
          pipeline: string,
          title: ?string,
          attributes: ?[string]string,
          requestId: ?string
        ) -> (cohort: Cohort)

        method ListCohorts() -> (cohorts: []Cohort)

        # A cohort with its counts per state, in pipeline order.
        method DescribeCohort(id: string) -> (cohort: Cohort)

        # Adds unregistered persons to a state (default: the first initial state).
        method Intake(
          cohort: string,
          state: ?string,
          persons: int,
          note: ?string,
          requestId: ?string
        ) -> (event: Event)

        # Moves unregistered persons from one state to another, named either by
        # the target state or by the transition event.
        method Move(
          cohort: string,
          from: string,
          to: ?string,
          event: ?string,
          persons: int,
          note: ?string,
          requestId: ?string
        ) -> (event: Event)

        method AddCase(
          cohort: string,
          id: string,
          persons: int,
          state: ?string,
          attributes: ?[string]string,
          fromUnregistered: ?bool,
          requestId: ?string
        ) -> (case: Case)

        # Registers many cases at once, all or none.
        method ImportCases(
          cohort: string,
          cases: []NewCase,
          requestId: ?string
        ) -> (added: int)

        # Moves a case by a transition event or to a target state. expectedState
        # guards against a concurrent change (StateConflict).
        method Transition(
          caseId: string,
          event: ?string,
          to: ?string,
          expectedState: ?string,
          note: ?string,
          requestId: ?string
        ) -> (case: Case, event: Event)

        method GetCase(id: string) -> (case: Case, history: []Event)

        # Cases in id order; pass the returned next as after for the next page.
        method ListCases(
          cohort: ?string,
          state: ?string,
          overdue: ?bool,
          limit: ?int,
          after: ?string
        ) -> (cases: []Case, next: ?string)

        method History(cohort: ?string, afterSeq: ?int, limit: ?int) -> (events: []Event)

        # With more: one reply per event, first the backlog after afterSeq, then
        # events as they are committed.
        method Watch(cohort: ?string, afterSeq: ?int) -> (event: Event)

        # A digest computed now, without disturbing the schedule: movements since
        # the last scheduled digest. Admins get exact figures unless published is
        # true; other roles get the published digest, small counts withheld. With
        # format (text, json, md or html), rendered holds the document.
        method Digest(cohort: ?string, format: ?string, published: ?bool) -> (digest: object, rendered: ?string)

        # The digests the schedule wrote, newest first.
        method ListDigests() -> (digests: []DigestFile)

        method Verify() -> (ok: bool, problems: []Problem)

        # Re-reads the configuration and the pipeline definitions.
        method Reload() -> ()

        # Writes a consistent copy of the store, online, to path (on the daemon's
        # host, written by the daemon's user).
        method Backup(path: string) -> (path: string, bytes: int)

        # Removes every case that reached an outcome before closedBefore (an RFC 3339
        # date or time). Their persons stay in the counts of their final states, as
        # unregistered persons; the log keeps their events without their case ids.
        # One purge event per case removed.
        method Purge(closedBefore: string, requestId: ?string) -> (cases: int, persons: int)

        error NoSuchPipeline (name: string)
        error NoSuchCohort (id: string)
        error NoSuchCase (id: string)
        error NoSuchState (pipeline: string, state: string)
        error InvalidTransition (caseId: ?string, state: string, event: ?string, to: ?string, allowed: []string)
        error InsufficientCount (cohort: string, state: string, requested: int, available: int)
        error AlreadyExists (kind: string, id: string)
        error StateConflict (caseId: string, expected: string, actual: string)
        error PermissionDenied (method: string, required: string, actor: string)
        error InvalidArgument (parameter: string, reason: string)
        error StoreUnavailable (reason: string)
        # A configured limit (limits.<limit> in casetrackd.yaml) was reached.
        error LimitReached (limit: string, value: int)
        """
}
