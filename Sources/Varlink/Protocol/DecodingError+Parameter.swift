extension DecodingError {
    /// The path of the value that failed to decode, relative to a message's
    /// `parameters`: `persons`, `case.attributes.region`, `cases[3].id`.
    /// Empty when `parameters` itself is at fault. `inEnvelope` says the
    /// decoding started at the message, whose `parameters` key is dropped.
    func parameterPath(inEnvelope: Bool) -> String {
        let path: [any CodingKey]
        switch self {
        case .keyNotFound(let key, let context):
            path = context.codingPath + [key]
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            path = context.codingPath
        @unknown default:
            path = []
        }
        var keys = path[...]
        if inEnvelope, keys.first?.stringValue == "parameters" {
            keys = keys.dropFirst()
        }
        var text = ""
        for key in keys {
            if let index = key.intValue {
                text += "[\(index)]"
            } else {
                if !text.isEmpty { text += "." }
                text += key.stringValue
            }
        }
        return text
    }
}
