/// A Varlink error reply: a fully qualified error name and its parameters,
/// e.g. `org.varlink.service.InvalidParameter` with `parameter: "persons"`.
///
/// A `VarlinkInterface` throws one to answer a call with an error; a
/// `VarlinkClient` throws one (wrapped in `VarlinkClientError.remote`) when
/// the service answered with an error.
public struct VarlinkError: Error, Sendable, Hashable {
    /// The fully qualified error name, `interface.ErrorName`.
    public var name: String
    /// The error's parameters, as declared by the interface's `error` line.
    public var parameters: [String: JSONValue]

    public init(name: String, parameters: [String: JSONValue] = [:]) {
        self.name = name
        self.parameters = parameters
    }

    /// An error whose parameters are `parameters` encoded as a JSON object.
    public init(name: String, encoding parameters: some Encodable) throws {
        self.name = name
        switch try JSONValue(encoding: parameters) {
        case .object(let members): self.parameters = members
        case .null: self.parameters = [:]
        default: throw EncodingError.invalidValue(parameters, .init(codingPath: [], debugDescription: "not an object"))
        }
    }

    /// Decodes the parameters as `T`.
    public func decodeParameters<T: Decodable>(_ type: T.Type = T.self) throws -> T {
        try JSONValue.object(parameters).decode(as: T.self)
    }
}

extension VarlinkError {
    /// The name of the standard service interface every Varlink service implements.
    public static let serviceInterface = "org.varlink.service"

    /// `org.varlink.service.InterfaceNotFound(interface)`.
    public static func interfaceNotFound(_ interface: String) -> VarlinkError {
        VarlinkError(name: "org.varlink.service.InterfaceNotFound", parameters: ["interface": .string(interface)])
    }

    /// `org.varlink.service.MethodNotFound(method)`.
    public static func methodNotFound(_ method: String) -> VarlinkError {
        VarlinkError(name: "org.varlink.service.MethodNotFound", parameters: ["method": .string(method)])
    }

    /// `org.varlink.service.MethodNotImplemented(method)`.
    public static func methodNotImplemented(_ method: String) -> VarlinkError {
        VarlinkError(name: "org.varlink.service.MethodNotImplemented", parameters: ["method": .string(method)])
    }

    /// `org.varlink.service.InvalidParameter(parameter)`.
    public static func invalidParameter(_ parameter: String) -> VarlinkError {
        VarlinkError(name: "org.varlink.service.InvalidParameter", parameters: ["parameter": .string(parameter)])
    }

    /// `org.varlink.service.PermissionDenied()`.
    public static var permissionDenied: VarlinkError {
        VarlinkError(name: "org.varlink.service.PermissionDenied")
    }

    /// `org.varlink.service.ExpectedMore()`: the method streams and must be called with `more`.
    public static var expectedMore: VarlinkError {
        VarlinkError(name: "org.varlink.service.ExpectedMore")
    }
}

extension VarlinkError: CustomStringConvertible {
    /// `name(key: value, …)`, e.g. `org.varlink.service.InvalidParameter(parameter: "persons")`.
    public var description: String {
        let members = parameters.keys.sorted().map { "\($0): \(parameters[$0]!)" }
        return "\(name)(\(members.joined(separator: ", ")))"
    }
}
