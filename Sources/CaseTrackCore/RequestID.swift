/// Request ids as casetrack's own clients make them: UUID version 7
/// (RFC 9562), written lowercase, `018f4c2e-8a31-7b2c-9d4e-5f60718293a4`.
///
/// Its first 48 bits are the Unix time in milliseconds, so ids made later
/// sort later, as text too. The store keeps every request id it has
/// answered in a B-tree keyed by the id: time-ordered ids are added at its
/// right edge, where the last commit left the page in memory, while random
/// ids (version 4) each dirty a page somewhere in it, which the commit must
/// write and fsync. The store accepts any id; this is only the cheap kind.
public enum RequestID {
    /// A new id made at `time` (a time before 1970 counts as 1970).
    public static func make(at time: Timestamp, using random: inout some RandomNumberGenerator) -> String {
        let milliseconds = UInt64(max(time.millisecondsSinceEpoch, 0))
        // 48 bits of time, version 7, 12 random bits (rand_a).
        let first = (milliseconds & 0xFFFF_FFFF_FFFF) << 16 | 0x7000 | (random.next() & 0x0FFF)
        return text(first, variant: random.next())
    }

    /// A random id (UUID version 4): what other clients may send, the
    /// expensive kind for the store.
    public static func random(using random: inout some RandomNumberGenerator) -> String {
        text(random.next() & ~0xF000 | 0x4000, variant: random.next())
    }

    /// `first` as the first three groups, the RFC's variant (0b10) and 62
    /// bits of `rest` as the last two.
    private static func text(_ first: UInt64, variant rest: UInt64) -> String {
        let second = 0x8000_0000_0000_0000 | (rest & 0x3FFF_FFFF_FFFF_FFFF)
        var text: [UInt8] = []
        text.reserveCapacity(36)
        func hex(_ value: UInt64, nibbles: ClosedRange<Int>) {
            for nibble in nibbles.reversed() {
                text.append(digits[Int(value >> (UInt64(nibble) * 4) & 0xF)])
            }
        }
        hex(first, nibbles: 8...15)
        text.append(UInt8(ascii: "-"))
        hex(first, nibbles: 4...7)
        text.append(UInt8(ascii: "-"))
        hex(first, nibbles: 0...3)
        text.append(UInt8(ascii: "-"))
        hex(second, nibbles: 12...15)
        text.append(UInt8(ascii: "-"))
        hex(second, nibbles: 0...11)
        return String(decoding: text, as: UTF8.self)
    }

    /// A new id made at `time`, from the system's random numbers.
    public static func make(at time: Timestamp) -> String {
        var random = SystemRandomNumberGenerator()
        return make(at: time, using: &random)
    }

    private static let digits = Array("0123456789abcdef".utf8)
}
