import ArgumentParser
import Varlink

/// `casetrackctl cohorts`: ListCohorts.
struct CohortsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cohorts", abstract: "List the cohorts with their totals.")

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        try await global.withDaemon { daemon in
            let (reply, cohorts) = try await daemon.call("ListCohorts", member: "cohorts", as: [Cohort].self)
            global.print(reply) {
                guard !cohorts.isEmpty else {
                    Printer.out("no cohorts yet (casetrackctl cohort create ID --pipeline NAME)")
                    return
                }
                var table = Table([
                    .text("COHORT"), .text("PIPELINE"), .number("CASES"), .number("PERSONS"), .text("CREATED"),
                    .text("TITLE"),
                ])
                for cohort in cohorts {
                    table.append([
                        cohort.id, "\(cohort.pipeline) v\(cohort.pipelineVersion)", Formatting.count(cohort.cases),
                        Formatting.count(cohort.persons), Formatting.time(cohort.createdAt), cohort.title ?? "",
                    ])
                }
                Printer.out(table.render())
            }
        }
    }
}

/// `casetrackctl cohort create|show`.
struct CohortCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cohort", abstract: "Create or show a cohort.", subcommands: [Create.self, Show.self])

    /// CreateCohort.
    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "create", abstract: "Create a cohort tracked under a pipeline (needs the admin role).")

        @OptionGroup var global: GlobalOptions

        @Argument(help: "The cohort's id: [a-z0-9][a-z0-9._-]*, e.g. afghans-pk.")
        var id: String

        @Option(help: "The pipeline its cases run through, e.g. usrap.")
        var pipeline: String

        @Option(help: "A readable title.")
        var title: String?

        @Option(name: .customLong("attr"), help: ArgumentHelp("An attribute (repeatable).", valueName: "key=value"))
        var attributes: [String] = []

        func validate() throws {
            _ = try AttributeOption.parse(attributes)
        }

        func run() async throws {
            let attributes = try AttributeOption.parse(attributes)
            try await global.withDaemon { daemon in
                let (reply, cohort) = try await daemon.call(
                    "CreateCohort",
                    [
                        "id": .string(id), "pipeline": .string(pipeline), "title": .optional(title),
                        "attributes": .map(attributes), "requestId": newRequestID(),
                    ], member: "cohort", as: Cohort.self)
                global.print(reply) {
                    Printer.out("created cohort \(cohort.id) under \(cohort.pipeline) v\(cohort.pipelineVersion)")
                }
            }
        }
    }

    /// DescribeCohort: counts per state in pipeline order.
    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show", abstract: "Show a cohort's persons and cases per state.")

        @OptionGroup var global: GlobalOptions

        @Argument(help: "The cohort's id.")
        var id: String

        func run() async throws {
            try await global.withDaemon { daemon in
                let (reply, cohort) = try await daemon.call(
                    "DescribeCohort", ["id": .string(id)], member: "cohort", as: Cohort.self)
                if global.json {
                    Printer.json(reply)
                    return
                }
                // The outcomes mark the terminal states; without them the table still reads.
                let pipeline = try? await daemon.call(
                    "DescribePipeline", ["name": .string(cohort.pipeline)], member: "pipeline", as: Pipeline.self
                ).value
                Printer.out(Self.render(cohort, pipeline: pipeline))
            }
        }

        static func render(_ cohort: Cohort, pipeline: Pipeline?) -> String {
            var fields = Fields()
            fields.append("cohort", cohort.id)
            fields.append("title", cohort.title)
            fields.append("pipeline", "\(cohort.pipeline) v\(cohort.pipelineVersion)")
            if !cohort.attributes.isEmpty { fields.append("attributes", Formatting.attributes(cohort.attributes)) }
            fields.append("created", Formatting.time(cohort.createdAt))

            var outcomes: [String: String] = [:]
            for state in pipeline?.states ?? [] { outcomes[state.name] = state.outcome }
            var table = Table([
                .text("STATE"), .number("CASES"), .number("REGISTERED"), .number("UNREGISTERED"), .number("PERSONS"),
                .text("OUTCOME"),
            ])
            var total = (cases: 0, registered: 0, unregistered: 0, persons: 0)
            for count in cohort.counts ?? [] {
                table.append([
                    count.state, Formatting.count(count.cases), Formatting.count(count.casePersons),
                    Formatting.count(count.unregistered), Formatting.count(count.persons), outcomes[count.state] ?? "",
                ])
                total.cases += count.cases
                total.registered += count.casePersons
                total.unregistered += count.unregistered
                total.persons += count.persons
            }
            table.footer = [
                "total", Formatting.count(total.cases), Formatting.count(total.registered),
                Formatting.count(total.unregistered), Formatting.count(total.persons),
            ]
            return fields.render() + "\n\n" + table.render()
        }
    }
}
