/// A state machine that cases and unregistered persons move through.
///
/// A pipeline is built from a ``PipelineDefinition`` and is valid by
/// construction: every transition names known states, there is at least one
/// initial state, terminal states have no way out, no state has two
/// transitions with the same event, and every state is reachable.
public struct Pipeline: Sendable, Hashable, Encodable {
    public let name: String
    public let version: Int
    public let title: String
    /// States in pipeline order, the order digests and tables show them in.
    public let states: [PipelineState]
    public let transitions: [PipelineTransition]
    /// Retired state → the state its cases and persons move to on reload.
    public let migrations: [String: String]

    private let stateIndex: [String: Int]

    init(
        name: String, version: Int, title: String,
        states: [PipelineState], transitions: [PipelineTransition], migrations: [String: String] = [:]
    ) {
        self.name = name
        self.version = version
        self.title = title
        self.states = states
        self.transitions = transitions
        self.migrations = migrations
        var index: [String: Int] = [:]
        for (position, state) in states.enumerated() { index[state.name] = position }
        self.stateIndex = index
    }

    enum CodingKeys: String, CodingKey { case name, version, title, states, transitions }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode(version, forKey: .version)
        try container.encode(title, forKey: .title)
        try container.encode(states, forKey: .states)
        try container.encode(transitions, forKey: .transitions)
    }

    public func state(named name: String) -> PipelineState? {
        stateIndex[name].map { states[$0] }
    }

    /// The position of a state in pipeline order.
    public func position(of state: String) -> Int? { stateIndex[state] }

    /// The state that intake and new cases enter when none is named.
    public var defaultInitialState: PipelineState {
        states.first(where: \.initial)!
    }

    /// Transitions a case or person in `state` may take.
    public func transitions(from state: String) -> [PipelineTransition] {
        transitions.filter { $0.from.contains(state) }
    }

    /// Resolves a request to leave `state`, named by event, by target, or
    /// both, to the one transition it means.
    public func resolve(from state: String, event: String?, to target: String?) -> PipelineTransition? {
        let candidates = transitions(from: state)
        switch (event, target) {
        case (let event?, let target?):
            return candidates.first { $0.event == event && $0.to == target }
        case (let event?, nil):
            return candidates.first { $0.event == event }
        case (nil, let target?):
            return candidates.first { $0.to == target }
        case (nil, nil):
            return nil
        }
    }
}

/// One state of a pipeline.
public struct PipelineState: Sendable, Hashable, Codable {
    public let name: String
    public let title: String
    public let initial: Bool
    /// Set on terminal states: how a case that ends here left the pipeline.
    public let outcome: String?
    /// Days a case may stay in this state before it is overdue.
    public let slaDays: Int?

    public var isTerminal: Bool { outcome != nil }

    public init(name: String, title: String, initial: Bool, outcome: String?, slaDays: Int?) {
        self.name = name
        self.title = title
        self.initial = initial
        self.outcome = outcome
        self.slaDays = slaDays
    }
}

/// A named way from one or more states to another.
public struct PipelineTransition: Sendable, Hashable, Codable {
    public let event: String
    public let from: [String]
    public let to: String

    public init(event: String, from: [String], to: String) {
        self.event = event
        self.from = from
        self.to = to
    }
}
