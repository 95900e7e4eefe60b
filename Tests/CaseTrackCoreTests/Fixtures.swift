import CaseTrackCore
import Foundation
import Yams

/// Pipelines and clocks the stories below share.
enum Fixtures {
    /// The repository's root, found from this file's place in it.
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// A shipped definition from `Config/pipelines/`, decoded as the daemon decodes it.
    static func shippedDefinition(_ name: String) throws -> PipelineDefinition {
        let url = repositoryRoot.appendingPathComponent("Config/pipelines/\(name).yaml")
        let text = try String(contentsOf: url, encoding: .utf8)
        return try YAMLDecoder().decode(PipelineDefinition.self, from: text)
    }

    static func shipped(_ name: String) throws -> Pipeline {
        try shippedDefinition(name).validated()
    }

    /// A small pipeline for stories that need only its shape:
    ///
    ///     waiting ─interviewed→ interviewed ─approved→ approved ─arrived→ arrived (resettled)
    ///        └──────────────────────┴─ deported ─────────┴──────────────→ deported (deported)
    static let minimal = PipelineDefinition(
        name: "minimal", version: 2, title: "Minimal",
        states: [
            .init(name: "waiting", title: "Waiting", initial: true, sla: 30),
            .init(name: "interviewed", sla: 10),
            .init(name: "approved"),
            .init(name: "arrived", outcome: "resettled"),
            .init(name: "deported", outcome: "deported"),
        ],
        transitions: [
            .init(event: "interviewed", from: ["waiting"], to: "interviewed"),
            .init(event: "approved", from: ["interviewed"], to: "approved"),
            .init(event: "arrived", from: ["approved"], to: "arrived"),
            .init(event: "deported", from: ["waiting", "interviewed", "approved"], to: "deported"),
        ])

    static let noon = Timestamp(rfc3339: "2026-11-29T12:00:00Z")!

    static func context(
        actor: String = "operator", requestId: String? = nil, time: Timestamp = noon
    ) -> MutationContext {
        MutationContext(actor: actor, requestId: requestId, time: time)
    }
}
