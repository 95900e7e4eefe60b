/// One way the stored state disagrees with what it must be.
public struct VerificationProblem: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The invariant that failed: `sequence`, `counts`, `pool`, `case-state`, `negative`, `pipeline`, `integrity`.
    public var check: String
    public var message: String

    public init(check: String, message: String) {
        self.check = check
        self.message = message
    }

    public var description: String { "\(check): \(message)" }
}
