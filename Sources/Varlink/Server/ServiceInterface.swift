/// `org.varlink.service`, the interface every Varlink service implements:
/// who the service is and which interfaces it serves.
struct ServiceInterface: VarlinkInterface {
    let name = VarlinkError.serviceInterface
    let interfaceDescription = Self.definition
    let info: Info
    /// Every interface's description by name, this one included.
    let descriptions: [String: String]

    struct Info: Encodable, Sendable {
        var vendor: String
        var product: String
        var version: String
        var url: String
        var interfaces: [String]
    }

    init(configuration: VarlinkServer.Configuration, interfaces: [any VarlinkInterface]) {
        let names = [VarlinkError.serviceInterface] + interfaces.map(\.name)
        self.info = Info(
            vendor: configuration.vendor,
            product: configuration.product,
            version: configuration.version,
            url: configuration.url,
            interfaces: names
        )
        var descriptions = [VarlinkError.serviceInterface: Self.definition]
        for interface in interfaces {
            descriptions[interface.name] = interface.interfaceDescription
        }
        self.descriptions = descriptions
    }

    private struct GetInterfaceDescriptionParameters: Decodable {
        var interface: String
    }

    private struct Description: Encodable, Sendable {
        var description: String
    }

    /// Both methods answer from what the server was configured with.
    func answerAtOnce(_ call: VarlinkCall, peer: VarlinkPeer) -> VarlinkAnswer? {
        switch call.methodName {
        case "GetInfo":
            return .parameters(info)
        case "GetInterfaceDescription":
            let interface: String
            do {
                interface = try call.decodeParameters(GetInterfaceDescriptionParameters.self).interface
            } catch {
                return .error(error)
            }
            guard let description = descriptions[interface] else { return .error(.interfaceNotFound(interface)) }
            return .parameters(Description(description: description))
        default:
            return .error(.methodNotFound(call.method))
        }
    }

    func handle(_ call: VarlinkCall, peer: VarlinkPeer, replies: VarlinkReplyWriter) async throws {
        try await replies.send(answerAtOnce(call, peer: peer) ?? .error(.methodNotFound(call.method)))
    }

    /// The standard definition of `org.varlink.service`.
    static let definition = """
        # The Varlink Service Interface is provided by every varlink service. It
        # describes the service and the interfaces it implements.
        interface org.varlink.service

        # Get a list of all the interfaces a service provides and information
        # about the implementation.
        method GetInfo() -> (
          vendor: string,
          product: string,
          version: string,
          url: string,
          interfaces: []string
        )

        # Get the description of an interface that is implemented by this service.
        method GetInterfaceDescription(interface: string) -> (description: string)

        # The requested interface was not found.
        error InterfaceNotFound (interface: string)

        # The requested method was not found
        error MethodNotFound (method: string)

        # The interface defines the requested method, but the service does not
        # implement it.
        error MethodNotImplemented (method: string)

        # One of the passed parameters is invalid.
        error InvalidParameter (parameter: string)

        # Client is denied access
        error PermissionDenied ()

        # Method is expected to be called with 'more' set to true, but wasn't
        error ExpectedMore ()

        """
}
