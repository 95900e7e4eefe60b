import CaseTrackCore
import Testing

/// An administrator writes a pipeline definition; casetrack accepts it only
/// if it is a state machine cases can actually move through.
@Suite("Pipeline definitions")
struct PipelineDefinitionTests {
    /// Checks a definition and hands back the error it was refused with.
    private func refusal(_ definition: PipelineDefinition) -> PipelineDefinitionError? {
        do {
            _ = try definition.validated()
            return nil
        } catch {
            return error
        }
    }

    private func with(_ change: (inout PipelineDefinition) -> Void) -> PipelineDefinition {
        var definition = Fixtures.minimal
        change(&definition)
        return definition
    }

    @Test("a good definition becomes a pipeline that keeps its order, titles, SLAs and outcomes")
    func acceptsGoodDefinition() throws {
        let pipeline = try Fixtures.minimal.validated()
        #expect(pipeline.name == "minimal")
        #expect(pipeline.version == 2)
        #expect(pipeline.title == "Minimal")
        #expect(pipeline.states.map(\.name) == ["waiting", "interviewed", "approved", "arrived", "deported"])
        #expect(pipeline.states[0].title == "Waiting")
        #expect(pipeline.states[1].title == "interviewed", "a state without a title is shown by its name")
        #expect(pipeline.defaultInitialState.name == "waiting")
        #expect(pipeline.state(named: "waiting")?.slaDays == 30)
        #expect(pipeline.state(named: "approved")?.slaDays == nil)
        #expect(pipeline.state(named: "arrived")?.isTerminal == true)
        #expect(pipeline.state(named: "arrived")?.outcome == "resettled")
        #expect(pipeline.state(named: "waiting")?.isTerminal == false)
        #expect(pipeline.position(of: "approved") == 2)
        #expect(pipeline.state(named: "nowhere") == nil)
        #expect(pipeline.transitions(from: "interviewed").map(\.event) == ["approved", "deported"])
        #expect(pipeline.transitions(from: "arrived").isEmpty)
    }

    @Test("a definition without a title is titled by its name")
    func titleDefaultsToName() throws {
        let pipeline = try with { $0.title = nil }.validated()
        #expect(pipeline.title == "minimal")
    }

    @Test("a request to leave a state resolves by event, by target, or by both when they agree")
    func resolvesTransitions() throws {
        let pipeline = try Fixtures.minimal.validated()
        #expect(pipeline.resolve(from: "waiting", event: "interviewed", to: nil)?.to == "interviewed")
        #expect(pipeline.resolve(from: "waiting", event: nil, to: "deported")?.event == "deported")
        #expect(pipeline.resolve(from: "approved", event: "deported", to: "deported")?.event == "deported")
        #expect(pipeline.resolve(from: "approved", event: "deported", to: "arrived") == nil)
        #expect(pipeline.resolve(from: "waiting", event: "approved", to: nil) == nil)
        #expect(pipeline.resolve(from: "waiting", event: nil, to: nil) == nil)
        #expect(pipeline.resolve(from: "arrived", event: nil, to: "deported") == nil)
    }

    @Test("a transition to a state nobody defined is refused, naming the event and the state")
    func unknownTargetState() {
        let definition = with { $0.transitions.append(.init(event: "resettled", from: ["approved"], to: "resetled")) }
        #expect(refusal(definition) == .unknownState(event: "resettled", state: "resetled"))
    }

    @Test("a transition from a state nobody defined is refused")
    func unknownSourceState() {
        let definition = with { $0.transitions.append(.init(event: "approved", from: ["on-hold"], to: "approved")) }
        #expect(refusal(definition) == .unknownState(event: "approved", state: "on-hold"))
    }

    @Test("a pipeline where no state is initial is refused: intake would have nowhere to go")
    func noInitialState() {
        let definition = with { $0.states[0].initial = false }
        #expect(refusal(definition) == .noInitialState)
    }

    @Test("a pipeline with no states at all is refused")
    func noStates() {
        let definition = PipelineDefinition(name: "empty", version: 1, states: [], transitions: [])
        #expect(refusal(definition) == .noStates)
    }

    @Test("a terminal state with a way out is refused: terminal states accept no transitions")
    func transitionFromTerminal() {
        let definition = with { $0.transitions.append(.init(event: "returned", from: ["deported"], to: "waiting")) }
        #expect(refusal(definition) == .transitionFromTerminal(event: "returned", state: "deported"))
    }

    @Test("a state both initial and terminal is refused")
    func terminalInitialState() {
        let definition = with { $0.states[3].initial = true }
        #expect(refusal(definition) == .terminalInitialState("arrived"))
    }

    @Test("two transitions with the same event from one state are refused: the event would be ambiguous")
    func duplicateEventFromOneState() {
        let definition = with { $0.transitions.append(.init(event: "approved", from: ["interviewed"], to: "arrived")) }
        #expect(refusal(definition) == .duplicateEvent(event: "approved", state: "interviewed"))
    }

    @Test("the same event name may leave different states for different targets")
    func sameEventFromDifferentStates() throws {
        let definition = with { $0.transitions.append(.init(event: "approved", from: ["waiting"], to: "approved")) }
        let pipeline = try definition.validated()
        #expect(pipeline.resolve(from: "waiting", event: "approved", to: nil)?.to == "approved")
    }

    @Test("states that no path from an initial state reaches are refused, all of them named")
    func unreachableStates() {
        let definition = with {
            $0.states.insert(.init(name: "on-hold"), at: 2)
            $0.states.append(.init(name: "relocated", outcome: "relocated-elsewhere"))
        }
        #expect(refusal(definition) == .unreachableStates(["on-hold", "relocated"]))
    }

    @Test("a state reachable only through another non-initial state counts as reachable")
    func reachableThroughChain() throws {
        let definition = with {
            $0.states.insert(.init(name: "on-hold"), at: 2)
            $0.transitions.append(.init(event: "put-on-hold", from: ["interviewed"], to: "on-hold"))
            $0.transitions.append(.init(event: "released", from: ["on-hold"], to: "approved"))
        }
        #expect(throws: Never.self) { try definition.validated() }
    }

    @Test("a state defined twice is refused")
    func duplicateState() {
        let definition = with { $0.states.append(.init(name: "approved")) }
        #expect(refusal(definition) == .duplicateState("approved"))
    }

    @Test(
        "a pipeline name outside a-z, 0-9, '-', '_', '.' (up to 64) is refused",
        arguments: ["Minimal", "", "-minimal", "mini/mal", "mínimal", String(repeating: "m", count: 65)])
    func badPipelineName(name: String) {
        #expect(refusal(with { $0.name = name }) == .invalidName(name))
    }

    @Test("a state, event or outcome with a bad name is refused, naming it")
    func badNames() {
        #expect(refusal(with { $0.states[1].name = "Interviewed" }) == .invalidStateName("Interviewed"))
        #expect(refusal(with { $0.states[1].name = "inter viewed" }) == .invalidStateName("inter viewed"))
        #expect(refusal(with { $0.transitions[0].event = "Interview!" }) == .invalidEventName("Interview!"))
        #expect(
            refusal(with { $0.states[3].outcome = "Resettled in US" })
                == .invalidOutcome(state: "arrived", outcome: "Resettled in US"))
    }

    @Test("a 64-character name is the longest accepted")
    func longestName() throws {
        let name = String(repeating: "m", count: 64)
        #expect(try with { $0.name = name }.validated().name == name)
    }

    @Test("a transition from a state to itself is refused")
    func selfTransition() {
        let definition = with {
            $0.transitions.append(.init(event: "rescheduled", from: ["interviewed"], to: "interviewed"))
        }
        #expect(refusal(definition) == .selfTransition(event: "rescheduled", state: "interviewed"))
    }

    @Test("a transition with no source state is refused")
    func transitionWithoutSource() {
        let definition = with { $0.transitions.append(.init(event: "appeared", from: [], to: "approved")) }
        #expect(refusal(definition) == .transitionWithoutSource(event: "appeared"))
    }

    @Test("an SLA below one day is refused", arguments: [0, -1, Int.min])
    func slaBelowOneDay(days: Int) {
        let definition = with { $0.states[1].sla = days }
        #expect(refusal(definition) == .invalidSLA(state: "interviewed", days: days))
    }

    @Test("a version below 1 is refused")
    func badVersion() {
        #expect(refusal(with { $0.version = 0 }) == .invalidVersion(0))
    }

    @Test("every refusal says in words what to fix")
    func refusalsAreReadable() {
        #expect(
            PipelineDefinitionError.unknownState(event: "resettled", state: "resetled").description
                == "transition 'resettled' names unknown state 'resetled'")
        #expect(PipelineDefinitionError.unreachableStates(["a", "b"]).description.hasSuffix("a, b"))
    }
}
