import Foundation

/// One method call received by a `VarlinkServer`.
public struct VarlinkCall: Sendable {
    /// The fully qualified method name, e.g. `io.casetrack.Tracker.GetStatus`.
    public var method: String
    /// The client asked for a stream of replies.
    public var more: Bool
    /// The client wants no reply.
    public var oneway: Bool
    /// The client asked to upgrade the connection to another protocol.
    public var upgrade: Bool

    /// The whole message the call arrived in; `parameters` is decoded from it.
    let message: Data
    let decoder: JSONDecoder
    /// Where the parameters object is when ``PlainJSONReader`` read the
    /// message (nil when it did not, or when the object is absent or null).
    let plainParameters: Range<Int>?

    init(header: CallHeader, message: Data, decoder: JSONDecoder, plainParameters: Range<Int>? = nil) {
        self.method = header.method
        self.more = header.more ?? false
        self.oneway = header.oneway ?? false
        self.upgrade = header.upgrade ?? false
        self.message = message
        self.decoder = decoder
        self.plainParameters = plainParameters
    }

    /// A call with the given parameters, as if a client had sent it; for
    /// testing an interface without a socket.
    public init(
        method: String,
        parameters: some Encodable = JSONValue.object([:]),
        more: Bool = false,
        oneway: Bool = false
    ) throws {
        self.method = method
        self.more = more
        self.oneway = oneway
        self.upgrade = false
        self.message = try JSONEncoder().encode(CallEnvelope(method: method, parameters: parameters))
        self.decoder = JSONDecoder()
        self.plainParameters = self.message.withUnsafeBytes { PlainCall.read($0)?.parameters }
    }

    /// The interface the method belongs to: the method name up to its last dot.
    public var interface: Substring {
        guard let dot = method.lastIndex(of: ".") else { return "" }
        return method[..<dot]
    }

    /// The method's name within its interface: after the method name's last dot.
    public var methodName: Substring {
        guard let dot = method.lastIndex(of: ".") else { return method[...] }
        return method[method.index(after: dot)...]
    }

    /// Decodes the call's `parameters` as `T`; absent and null parameters
    /// decode as `{}`.
    ///
    /// - Throws: `org.varlink.service.InvalidParameter` naming the offending
    ///   parameter (a dotted path for a nested one, e.g. `cases[2].persons`)
    ///   when the parameters do not decode as `T`.
    public func decodeParameters<T: Decodable>(_ type: T.Type = T.self) throws(VarlinkError) -> T {
        try decodeWithJSONDecoder(T.self)
    }

    private func decodeWithJSONDecoder<T: Decodable>(_ type: T.Type) throws(VarlinkError) -> T {
        do {
            if let parameters = try decoder.decode(ParametersEnvelope<T>.self, from: message).parameters {
                return parameters
            }
        } catch let error as DecodingError {
            throw .invalidParameter(Self.parameterName(error, inEnvelope: true))
        } catch {
            throw .invalidParameter("parameters")
        }
        do {
            return try decoder.decode(T.self, from: JSONText.emptyObject)
        } catch let error as DecodingError {
            throw .invalidParameter(Self.parameterName(error, inEnvelope: false))
        } catch {
            throw .invalidParameter("parameters")
        }
    }

    /// Reads the call's parameters with ``PlainDecodable/init(plain:)`` when
    /// the message is plain, else decodes them with `JSONDecoder` as the
    /// unconstrained overload does (and throws what it throws).
    public func decodeParameters<T: PlainDecodable>(_ type: T.Type = T.self) throws(VarlinkError) -> T {
        if let range = plainParameters,
            let value = message.withUnsafeBytes({ bytes -> T? in
                var reader = PlainJSONReader(UnsafeRawBufferPointer(rebasing: bytes[range]))
                guard let value = T(plain: &reader), reader.atEnd() else { return nil }
                return value
            })
        {
            return value
        }
        return try decodeWithJSONDecoder(T.self)
    }

    private static func parameterName(_ error: DecodingError, inEnvelope: Bool) -> String {
        let path = error.parameterPath(inEnvelope: inEnvelope)
        return path.isEmpty ? "parameters" : path
    }

    /// The call's parameters as a JSON object (`{}` when absent or null).
    public var parameters: JSONValue {
        get throws(VarlinkError) {
            try decodeParameters(JSONValue.self)
        }
    }
}
