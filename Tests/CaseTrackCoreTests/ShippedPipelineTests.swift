import CaseTrackCore
import Testing

/// The pipelines in `Config/pipelines/` are what operators start with; they
/// must load, and the paths people really take must exist in them.
@Suite("Shipped pipelines")
struct ShippedPipelineTests {
    @Test("both shipped definitions parse from YAML and validate", arguments: ["usrap", "afghan-siv"])
    func loads(name: String) throws {
        let pipeline = try Fixtures.shipped(name)
        #expect(pipeline.name == name)
        #expect(pipeline.version >= 1)
        #expect(!pipeline.title.isEmpty)
    }

    @Test(
        "from every active state of a shipped pipeline some path leads to an outcome",
        arguments: ["usrap", "afghan-siv"])
    func noDeadEnds(name: String) throws {
        let pipeline = try Fixtures.shipped(name)
        for state in pipeline.states where !state.isTerminal {
            var reached: Set<String> = [state.name]
            var frontier = [state.name]
            while let next = frontier.popLast() {
                for transition in pipeline.transitions(from: next) where reached.insert(transition.to).inserted {
                    frontier.append(transition.to)
                }
            }
            #expect(
                reached.contains { pipeline.state(named: $0)?.isTerminal == true },
                "a case in '\(state.name)' could never leave the pipeline")
        }
    }

    @Test(
        "a person waiting at any active stage can be recorded as deported, withdrawn or closed",
        arguments: ["usrap", "afghan-siv"])
    func sideExits(name: String) throws {
        let pipeline = try Fixtures.shipped(name)
        for state in pipeline.states where !state.isTerminal && state.name != "departed" {
            for exit in ["deported", "withdrew", "relocated", "closed"] {
                #expect(
                    pipeline.resolve(from: state.name, event: exit, to: nil) != nil,
                    "'\(state.name)' has no '\(exit)' exit")
            }
        }
    }

    @Test("in usrap, a referral walks referred → prescreened → interview-scheduled → … → arrived")
    func usrapHappyPath() throws {
        let pipeline = try Fixtures.shipped("usrap")
        #expect(pipeline.defaultInitialState.name == "referred")
        let walk: [(event: String, to: String)] = [
            ("prescreened", "prescreened"),
            ("interview-scheduled", "interview-scheduled"),
            ("interviewed", "interviewed"),
            ("approved", "approved"),
            ("medical-started", "medical"),
            ("assurance-received", "assured"),
            ("orientation-completed", "oriented"),
            ("travel-booked", "travel-booked"),
            ("departed", "departed"),
            ("arrived", "arrived"),
        ]
        var state = "referred"
        for step in walk {
            let transition = pipeline.resolve(from: state, event: step.event, to: nil)
            #expect(transition?.to == step.to, "from '\(state)' event '\(step.event)'")
            state = step.to
        }
        #expect(pipeline.state(named: state)?.outcome == "resettled")
        #expect(pipeline.transitions(from: "arrived").isEmpty)
    }

    @Test("in usrap, a case held in security checks may still be scheduled for interview, and a denial is final")
    func usrapBranches() throws {
        let pipeline = try Fixtures.shipped("usrap")
        #expect(
            pipeline.resolve(from: "security-checks", event: "interview-scheduled", to: nil)?.to
                == "interview-scheduled")
        #expect(pipeline.resolve(from: "on-hold", event: nil, to: "approved")?.event == "approved")
        #expect(pipeline.resolve(from: "travel-booked", event: "travel-cancelled", to: nil)?.to == "oriented")
        #expect(pipeline.resolve(from: "referred", event: "interview-scheduled", to: nil) == nil)
        #expect(pipeline.state(named: "denied")?.outcome == "denied")
        #expect(pipeline.state(named: "deported")?.outcome == "deported")
        #expect(pipeline.state(named: "referred")?.slaDays == 60)
    }

    @Test("in the Afghan SIV pipeline, an applicant walks from Chief of Mission to arrival, maybe through 221(g)")
    func sivHappyPath() throws {
        let pipeline = try Fixtures.shipped("afghan-siv")
        #expect(pipeline.defaultInitialState.name == "com-application")
        let walk: [(event: String, to: String)] = [
            ("com-approved", "com-approved"),
            ("petition-filed", "petition"),
            ("petition-approved", "nvc"),
            ("ds260-submitted", "ds260"),
            ("interview-scheduled", "interview"),
            ("refused-221g", "admin-processing"),
            ("visa-issued", "visa-issued"),
            ("arrived", "arrived"),
        ]
        var state = "com-application"
        for step in walk {
            #expect(pipeline.resolve(from: state, event: step.event, to: nil)?.to == step.to, "from '\(state)'")
            state = step.to
        }
        #expect(pipeline.state(named: state)?.outcome == "resettled")
    }
}
