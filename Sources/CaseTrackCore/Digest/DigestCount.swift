/// A count as a digest shows it: exact, or, in a published digest, with its
/// small parts withheld.
///
/// Statistical disclosure control: in a published digest every non-zero
/// count below the threshold is withheld (shown as `<5`), and every total is
/// the sum of what is shown plus the number of withheld parts, so no exact
/// small count can be recovered by subtracting shown figures from a total.
///
/// In JSON an exact count is a number; a count with withheld parts is an
/// object `{"suppressed": true, "shown": 120, "withheldParts": 1, "below": 5}`
/// (`shown` is the sum of the parts shown, 0 for a single withheld cell):
/// never a made-up number.
public struct DigestCount: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The sum of the parts shown.
    public var shown: Int
    /// How many non-zero parts below ``threshold`` are withheld.
    public var withheldParts: Int
    /// The threshold parts were withheld below; 0 when none were.
    public var threshold: Int

    public init(shown: Int, withheldParts: Int = 0, threshold: Int = 0) {
        self.shown = shown
        self.withheldParts = withheldParts
        self.threshold = withheldParts == 0 ? 0 : threshold
    }

    public static func exact(_ value: Int) -> DigestCount { DigestCount(shown: value) }

    public static let zero = DigestCount(shown: 0)

    /// One primary figure: withheld when it is non-zero and below `threshold`.
    public static func cell(_ value: Int, threshold: Int?) -> DigestCount {
        if let threshold, value != 0, abs(value) < threshold {
            return DigestCount(shown: 0, withheldParts: 1, threshold: threshold)
        }
        return DigestCount(shown: value)
    }

    public var isExact: Bool { withheldParts == 0 }
    public var isWithheld: Bool { withheldParts > 0 }
    /// The value, when nothing is withheld.
    public var exactValue: Int? { isExact ? shown : nil }

    public static func + (lhs: DigestCount, rhs: DigestCount) -> DigestCount {
        DigestCount(
            shown: lhs.shown + rhs.shown, withheldParts: lhs.withheldParts + rhs.withheldParts,
            threshold: max(lhs.threshold, rhs.threshold))
    }

    public static func - (lhs: DigestCount, rhs: DigestCount) -> DigestCount {
        DigestCount(
            shown: lhs.shown - rhs.shown, withheldParts: lhs.withheldParts + rhs.withheldParts,
            threshold: max(lhs.threshold, rhs.threshold))
    }

    public static func += (lhs: inout DigestCount, rhs: DigestCount) { lhs = lhs + rhs }

    /// `1,234`, `<5`, `1,234 + <5`, `1,234 + 2×<5`.
    public var description: String { text(signed: false) }

    /// As ``description``; `signed` is for a net change, a difference
    /// whose withheld parts may go either way: `+12`, `−3`, `+260 ± <5`.
    public func text(signed: Bool) -> String {
        let number = Self.grouped(shown, signed: signed)
        let sign = signed ? "±" : "+"
        switch (withheldParts, shown) {
        case (0, _): return number
        case (1, 0): return signed ? "±<\(threshold)" : "<\(threshold)"
        case (let parts, 0): return "\(signed ? "±" : "")\(parts)×<\(threshold)"
        case (1, _): return "\(number) \(sign) <\(threshold)"
        case (let parts, _): return "\(number) \(sign) \(parts)×<\(threshold)"
        }
    }

    /// Digits in groups of three: `25,000`.
    public static func grouped(_ value: Int, signed: Bool = false) -> String {
        let digits = String(abs(value))
        var text = ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { text.append(",") }
            text.append(digit)
        }
        if value < 0 { return "−" + text }
        return signed && value > 0 ? "+" + text : text
    }

    private enum CodingKeys: String, CodingKey { case suppressed, shown, withheldParts, below }

    public init(from decoder: any Decoder) throws {
        if let value = try? decoder.singleValueContainer().decode(Int.self) {
            self.init(shown: value)
            return
        }
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            shown: try container.decode(Int.self, forKey: .shown),
            withheldParts: try container.decode(Int.self, forKey: .withheldParts),
            threshold: try container.decode(Int.self, forKey: .below))
    }

    public func encode(to encoder: any Encoder) throws {
        if isExact {
            var container = encoder.singleValueContainer()
            try container.encode(shown)
            return
        }
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(true, forKey: .suppressed)
        try container.encode(shown, forKey: .shown)
        try container.encode(withheldParts, forKey: .withheldParts)
        try container.encode(threshold, forKey: .below)
    }
}
