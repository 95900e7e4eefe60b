import CaseTrackCore

/// The `Digest` and `ListDigests` methods' parameters and answers.
enum DigestCall {
    struct Parameters: Decodable, Sendable {
        var cohort: String?
        var format: String?
        var published: Bool?
    }

    struct Reply: Encodable, Sendable {
        var digest: Digest
        var rendered: String?
    }

    struct ListReply: Encodable, Sendable {
        var digests: [DigestArchive.Entry]
    }

    /// Admins see exact figures unless they ask for the published digest;
    /// every other role sees only the published one.
    static func answer(_ input: Parameters, tracker: Tracker, role: Role) async throws -> Reply {
        var format: DigestFormat?
        if let name = input.format {
            guard let known = DigestFormat(rawValue: name) else {
                throw TrackerError.invalidArgument(
                    parameter: "format", reason: "'\(name.prefix(40))' is not one of text, json, md, html")
            }
            format = known
        }
        let exact = role >= .admin && input.published != true
        let digest = try await tracker.digest(cohort: input.cohort, exact: exact)
        return Reply(digest: digest, rendered: format?.render(digest))
    }

    static func list(tracker: Tracker) -> ListReply {
        ListReply(digests: DigestArchive(stateDirectory: tracker.configuration.stateDirectory).list())
    }
}
