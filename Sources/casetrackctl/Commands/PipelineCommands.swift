import ArgumentParser
import Varlink

/// `casetrackctl pipelines`: ListPipelines.
struct PipelinesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pipelines", abstract: "List the pipelines with their states.")

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        try await global.withDaemon { daemon in
            let (reply, pipelines) = try await daemon.call("ListPipelines", member: "pipelines", as: [Pipeline].self)
            global.print(reply) {
                if pipelines.isEmpty { Printer.out("no pipelines loaded") }
                let blocks = pipelines.map { pipeline in
                    "\(pipeline.name) v\(pipeline.version) — \(pipeline.title)\n" + Table.states(of: pipeline).render()
                }
                Printer.out(blocks.joined(separator: "\n\n"))
            }
        }
    }
}

/// `casetrackctl pipeline show NAME`.
struct PipelineCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pipeline", abstract: "Show one pipeline.", subcommands: [Show.self])

    /// DescribePipeline: states and transitions.
    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show", abstract: "Show a pipeline's states and transitions.")

        @OptionGroup var global: GlobalOptions

        @Argument(help: "The pipeline's name, e.g. usrap.")
        var name: String

        func run() async throws {
            try await global.withDaemon { daemon in
                let (reply, pipeline) = try await daemon.call(
                    "DescribePipeline", ["name": .string(name)], member: "pipeline", as: Pipeline.self)
                global.print(reply) {
                    var transitions = Table([.text("EVENT"), .text("TO"), .text("FROM")])
                    for transition in pipeline.transitions {
                        transitions.append([transition.event, transition.to, transition.from.joined(separator: ", ")])
                    }
                    Printer.out(
                        """
                        \(pipeline.name) v\(pipeline.version) — \(pipeline.title)

                        \(Table.states(of: pipeline).render())

                        \(transitions.render())
                        """)
                }
            }
        }
    }
}

extension Table {
    /// A pipeline's states: name, title, initial or outcome, SLA days.
    static func states(of pipeline: Pipeline) -> Table {
        var table = Table([.text("STATE"), .text("TITLE"), .text("KIND"), .number("SLA DAYS")])
        for state in pipeline.states {
            let kind: String
            if let outcome = state.outcome {
                kind = "terminal: \(outcome)"
            } else if state.initial {
                kind = "initial"
            } else {
                kind = ""
            }
            table.append([state.name, state.title, kind, state.slaDays.map(String.init) ?? ""])
        }
        return table
    }
}
