/// What a message may look like before any of it is decoded: how deep its
/// arrays and objects nest and how long its strings are, found in one pass
/// over its bytes. Decoding a deeper message would cost stack, and a longer
/// string would be allocated, logged or stored; both are refused first.
struct MessageShape {
    var maxDepth: Int
    var maxStringBytes: Int

    enum Violation: Equatable {
        /// Arrays and objects nested deeper than `maxDepth`.
        case tooDeep
        /// A string (a key or a value) longer than `maxStringBytes` as sent,
        /// escapes included. `field` names where: the member of `parameters`
        /// it is in, `parameters` for a key of it, else the call's own member
        /// (`method`…), or `message`.
        case stringTooLong(field: String)
    }

    /// The first limit `message` exceeds, or nil. Says nothing of whether
    /// the message is valid JSON: the decoder finds that out.
    func check(_ message: UnsafeRawBufferPointer) -> Violation? {
        var depth = 0
        var inString = false
        var escaped = false
        var stringStart = 0
        // Which top-level member the scan is in, and which member of
        // `parameters`: the keys at depth 1 and 2 (a key is a string that
        // opens an object member, i.e. follows `{` or `,` inside an object).
        var topKey: [UInt8] = []
        var parameterKey: [UInt8] = []
        var containers: [UInt8] = []  // `{` or `[`, innermost last
        var expectingKey = false
        containers.reserveCapacity(8)
        for index in 0..<message.count {
            let byte = message[index]
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                    let length = index - stringStart
                    if length > maxStringBytes {
                        let inParameters = depth >= 2 && topKey.elementsEqual("parameters".utf8)
                        let field: [UInt8]
                        if inParameters {
                            field = depth == 2 && expectingKey ? Array("parameters".utf8) : parameterKey
                        } else {
                            field = depth >= 1 && !(depth == 1 && expectingKey) ? topKey : Array("message".utf8)
                        }
                        return .stringTooLong(field: String(decoding: field, as: UTF8.self))
                    }
                    if expectingKey {
                        let key = UnsafeRawBufferPointer(rebasing: message[stringStart..<index])
                        if depth == 1 {
                            topKey = Array(key)
                        } else if depth == 2 {
                            parameterKey = Array(key)
                        }
                        expectingKey = false
                    }
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""):
                inString = true
                stringStart = index + 1
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                depth += 1
                if depth > maxDepth { return .tooDeep }
                containers.append(byte)
                expectingKey = byte == UInt8(ascii: "{")
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
                _ = containers.popLast()
                expectingKey = false
            case UInt8(ascii: ","):
                expectingKey = containers.last == UInt8(ascii: "{")
            default:
                break
            }
        }
        return nil
    }
}
