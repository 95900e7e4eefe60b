/// A call message read by ``PlainJSONReader`` rather than `JSONDecoder`:
/// the header the server dispatches on, and where the parameters object is,
/// so that a method with ``PlainDecodable`` parameters reads them without a
/// second pass of `JSONDecoder` over the message.
struct PlainCall: Equatable {
    var header: CallHeader
    /// The bytes of the `parameters` object; nil when the member is absent or null.
    var parameters: Range<Int>?

    /// Reads a whole message in the plain subset with each of `method`,
    /// `parameters`, `more`, `oneway` and `upgrade` at most once (other
    /// members skipped, as `JSONDecoder` skips them); nil for anything else.
    static func read(_ message: UnsafeRawBufferPointer) -> PlainCall? {
        var reader = PlainJSONReader(message)
        var method: String?
        var parameters: Range<Int>??
        var more: Bool??
        var oneway: Bool??
        var upgrade: Bool??
        let read = reader.object { key, reader in
            switch key {
            case "method":
                guard method == nil, let value = reader.string() else { return false }
                method = value
            case "parameters":
                guard parameters == nil else { return false }
                if reader.null() {
                    parameters = .some(nil)
                    return true
                }
                reader.skipSpace()
                let start = reader.index
                guard message.count > start, message[start] == UInt8(ascii: "{"), reader.skipValue() else { return false }
                parameters = start..<reader.index
            case "more":
                guard more == nil, let value = reader.nullable({ $0.bool() }) else { return false }
                more = value
            case "oneway":
                guard oneway == nil, let value = reader.nullable({ $0.bool() }) else { return false }
                oneway = value
            case "upgrade":
                guard upgrade == nil, let value = reader.nullable({ $0.bool() }) else { return false }
                upgrade = value
            default:
                return reader.skipValue()
            }
            return true
        }
        guard read, reader.atEnd(), let method else { return nil }
        return PlainCall(
            header: CallHeader(method: method, more: more ?? nil, oneway: oneway ?? nil, upgrade: upgrade ?? nil),
            parameters: parameters ?? nil)
    }
}
