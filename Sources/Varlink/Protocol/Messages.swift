import Foundation

// The wire shapes of Varlink messages. Each is decoded from (or encoded to)
// one NUL-terminated JSON object.

/// The part of a call the server reads before dispatching it.
struct CallHeader: Decodable, Equatable {
    var method: String
    var more: Bool?
    var oneway: Bool?
    var upgrade: Bool?
}

/// A call's `parameters`, decoded as `T`; nil when absent or null.
struct ParametersEnvelope<T: Decodable>: Decodable {
    var parameters: T?
}

/// A call as the client sends it.
struct CallEnvelope<P: Encodable>: Encodable {
    var method: String
    var parameters: P
    var more: Bool?
    var oneway: Bool?
}

/// A successful reply as the server sends it.
struct ReplyEnvelope<P: Encodable>: Encodable {
    var parameters: P
    var continues: Bool?
}

/// An error reply, both ways.
struct ErrorEnvelope: Codable {
    var error: String
    var parameters: [String: JSONValue]?
}

/// The part of a reply the client reads to match it to its call.
struct ReplyHeader: Decodable {
    var error: String?
    var continues: Bool?
}

/// An empty parameters object, `{}`.
struct EmptyParameters: Codable, Sendable, Equatable {}

enum JSONText {
    /// `{}`, decoded in place of absent or null parameters.
    static let emptyObject = Data("{}".utf8)
}
