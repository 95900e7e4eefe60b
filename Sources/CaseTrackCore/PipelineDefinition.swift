/// A pipeline as written in a definition file, before validation.
///
/// ```yaml
/// name: usrap
/// version: 3
/// title: US Refugee Admissions Program
/// states:
///   - { name: referred, title: Referred, initial: true, sla: 90 }
///   - { name: arrived, title: Arrived in the US, outcome: resettled }
/// transitions:
///   - { event: prescreen, from: [referred], to: prescreened }
/// ```
public struct PipelineDefinition: Sendable, Hashable, Codable {
    public struct State: Sendable, Hashable, Codable {
        public var name: String
        public var title: String?
        public var initial: Bool?
        public var outcome: String?
        public var sla: Int?

        public init(name: String, title: String? = nil, initial: Bool? = nil, outcome: String? = nil, sla: Int? = nil) {
            self.name = name
            self.title = title
            self.initial = initial
            self.outcome = outcome
            self.sla = sla
        }
    }

    public struct Transition: Sendable, Hashable, Codable {
        public var event: String
        public var from: [String]
        public var to: String

        public init(event: String, from: [String], to: String) {
            self.event = event
            self.from = from
            self.to = to
        }
    }

    public var name: String
    public var version: Int
    public var title: String?
    public var states: [State]
    public var transitions: [Transition]
    /// Retired states and the states their cases and persons move to when
    /// this definition replaces one that had them: `migrate: {medical: approved}`.
    public var migrate: [String: String]?

    public init(
        name: String, version: Int, title: String? = nil, states: [State], transitions: [Transition],
        migrate: [String: String]? = nil
    ) {
        self.name = name
        self.version = version
        self.title = title
        self.states = states
        self.transitions = transitions
        self.migrate = migrate
    }

    /// Checks the definition and builds the pipeline it describes.
    public func validated() throws(PipelineDefinitionError) -> Pipeline {
        guard Identifier.isValidName(name) else { throw .invalidName(name) }
        guard version >= 1 else { throw .invalidVersion(version) }
        guard !states.isEmpty else { throw .noStates }

        var known: Set<String> = []
        for state in states {
            guard Identifier.isValidName(state.name) else { throw .invalidStateName(state.name) }
            guard known.insert(state.name).inserted else { throw .duplicateState(state.name) }
            if let sla = state.sla, sla < 1 { throw .invalidSLA(state: state.name, days: sla) }
            if let outcome = state.outcome, !Identifier.isValidName(outcome) {
                throw .invalidOutcome(state: state.name, outcome: outcome)
            }
            if state.initial == true, state.outcome != nil { throw .terminalInitialState(state.name) }
        }
        let initial = states.filter { $0.initial == true }.map(\.name)
        guard !initial.isEmpty else { throw .noInitialState }

        let terminal = Set(states.filter { $0.outcome != nil }.map(\.name))
        var eventsFromState: [String: Set<String>] = [:]
        for transition in transitions {
            guard Identifier.isValidName(transition.event) else { throw .invalidEventName(transition.event) }
            guard !transition.from.isEmpty else { throw .transitionWithoutSource(event: transition.event) }
            guard known.contains(transition.to) else {
                throw .unknownState(event: transition.event, state: transition.to)
            }
            for source in transition.from {
                guard known.contains(source) else { throw .unknownState(event: transition.event, state: source) }
                guard !terminal.contains(source) else {
                    throw .transitionFromTerminal(event: transition.event, state: source)
                }
                guard source != transition.to else { throw .selfTransition(event: transition.event, state: source) }
                guard eventsFromState[source, default: []].insert(transition.event).inserted else {
                    throw .duplicateEvent(event: transition.event, state: source)
                }
            }
        }

        var reached = Set(initial)
        var frontier = initial
        while let state = frontier.popLast() {
            for transition in transitions where transition.from.contains(state) {
                if reached.insert(transition.to).inserted { frontier.append(transition.to) }
            }
        }
        let unreachable = states.map(\.name).filter { !reached.contains($0) }
        guard unreachable.isEmpty else { throw .unreachableStates(unreachable) }

        for (old, new) in (migrate ?? [:]).sorted(by: { $0.key < $1.key }) {
            guard Identifier.isValidName(old), !known.contains(old) else { throw .invalidMigration(from: old, to: new) }
            guard known.contains(new) else { throw .invalidMigration(from: old, to: new) }
        }

        return Pipeline(
            name: name, version: version, title: title ?? name,
            states: states.map {
                PipelineState(
                    name: $0.name, title: $0.title ?? $0.name, initial: $0.initial ?? false,
                    outcome: $0.outcome, slaDays: $0.sla)
            },
            transitions: transitions.map { PipelineTransition(event: $0.event, from: $0.from, to: $0.to) },
            migrations: migrate ?? [:])
    }
}

/// Why a pipeline definition was rejected.
public enum PipelineDefinitionError: Error, Sendable, Hashable, CustomStringConvertible {
    case invalidName(String)
    case invalidVersion(Int)
    case noStates
    case invalidStateName(String)
    case duplicateState(String)
    case invalidSLA(state: String, days: Int)
    case invalidOutcome(state: String, outcome: String)
    case terminalInitialState(String)
    case noInitialState
    case invalidEventName(String)
    case transitionWithoutSource(event: String)
    case unknownState(event: String, state: String)
    case transitionFromTerminal(event: String, state: String)
    case selfTransition(event: String, state: String)
    case duplicateEvent(event: String, state: String)
    case unreachableStates([String])
    /// A `migrate` entry whose source is still a state, or whose target is not.
    case invalidMigration(from: String, to: String)

    public var description: String {
        switch self {
        case .invalidName(let name):
            "pipeline name '\(name)' is not valid (use a-z, 0-9, '-', '_', '.'; up to 64 characters)"
        case .invalidVersion(let version): "version \(version) is not valid: it must be 1 or more"
        case .noStates: "the pipeline has no states"
        case .invalidStateName(let name):
            "state name '\(name)' is not valid (use a-z, 0-9, '-', '_', '.'; up to 64 characters)"
        case .duplicateState(let name): "state '\(name)' is defined twice"
        case .invalidSLA(let state, let days): "state '\(state)' has an SLA of \(days) days; it must be 1 or more"
        case .invalidOutcome(let state, let outcome): "state '\(state)' has an invalid outcome '\(outcome)'"
        case .terminalInitialState(let state): "state '\(state)' is both initial and terminal"
        case .noInitialState: "no state is marked initial"
        case .invalidEventName(let event): "event name '\(event)' is not valid"
        case .transitionWithoutSource(let event): "transition '\(event)' has no 'from' states"
        case .unknownState(let event, let state): "transition '\(event)' names unknown state '\(state)'"
        case .transitionFromTerminal(let event, let state):
            "transition '\(event)' leaves terminal state '\(state)'; terminal states accept no transitions"
        case .selfTransition(let event, let state): "transition '\(event)' goes from '\(state)' to itself"
        case .duplicateEvent(let event, let state): "state '\(state)' has two transitions named '\(event)'"
        case .unreachableStates(let states):
            "states unreachable from any initial state: \(states.joined(separator: ", "))"
        case .invalidMigration(let from, let to):
            "migrate: '\(from)' → '\(to)' must map a state this definition no longer has to one it has"
        }
    }
}
