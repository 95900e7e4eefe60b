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
            case "method": reader.once(&method) { $0.string() }
            case "parameters": reader.once(&parameters) { $0.nullable { $0.objectRange() } }
            case "more": reader.once(&more) { $0.nullable { $0.bool() } }
            case "oneway": reader.once(&oneway) { $0.nullable { $0.bool() } }
            case "upgrade": reader.once(&upgrade) { $0.nullable { $0.bool() } }
            default: reader.skipValue()
            }
        }
        guard read, reader.atEnd(), let method else { return nil }
        return PlainCall(
            header: CallHeader(method: method, more: more ?? nil, oneway: oneway ?? nil, upgrade: upgrade ?? nil),
            parameters: parameters ?? nil)
    }
}
