import CaseTrackCore
import Foundation
import LedgerTestSupport
import Testing

/// Times travel as RFC 3339 UTC strings; the log keeps milliseconds.
@Suite("Timestamps")
struct TimestampTests {
    @Test("a whole second is written without a fraction, in UTC with Z")
    func formatsWholeSeconds() {
        let time = Timestamp(millisecondsSinceEpoch: 1_795_928_400_000)
        #expect(time.rfc3339 == "2026-11-29T05:00:00Z")
        #expect(time.description == "2026-11-29T05:00:00Z")
        #expect(time.date == "2026-11-29")
    }

    @Test("milliseconds are written as three digits when not zero")
    func formatsMilliseconds() {
        #expect(Timestamp(millisecondsSinceEpoch: 1_795_928_400_123).rfc3339 == "2026-11-29T05:00:00.123Z")
        #expect(Timestamp(millisecondsSinceEpoch: 1_795_928_400_007).rfc3339 == "2026-11-29T05:00:00.007Z")
    }

    @Test("the epoch, a leap day and times before 1970 are written correctly")
    func formatsEdges() {
        #expect(Timestamp(millisecondsSinceEpoch: 0).rfc3339 == "1970-01-01T00:00:00Z")
        #expect(Timestamp(millisecondsSinceEpoch: -1).rfc3339 == "1969-12-31T23:59:59.999Z")
        #expect(Timestamp(rfc3339: "2024-02-29T23:59:59Z")!.adding(days: 1).date == "2024-03-01")
        #expect(Timestamp(rfc3339: "2000-03-01")!.millisecondsSinceEpoch == 951_868_800_000)
    }

    @Test("every instant from year 0 to 9999 reads back as itself, written in the one fixed shape")
    func formatsRoundTrip() throws {
        var generator = SystemRandomNumberGenerator()
        let first = Timestamp(rfc3339: "0000-01-01")!.millisecondsSinceEpoch
        let last = Timestamp(rfc3339: "9999-12-31T23:59:59.999Z")!.millisecondsSinceEpoch
        let shape = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z/
        var instants = [first, last, 0, -1, 1_795_928_400_000]
        for _ in 0..<10_000 { instants.append(Int64.random(in: first...last, using: &generator)) }
        for _ in 0..<1_000 { instants.append(Int64.random(in: first...last, using: &generator) / 1000 * 1000) }
        for ms in instants {
            let text = Timestamp(millisecondsSinceEpoch: ms).rfc3339
            #expect(text.wholeMatch(of: shape) != nil, "\(ms): \(text)")
            #expect(Timestamp(rfc3339: text)?.millisecondsSinceEpoch == ms, "\(ms): \(text)")
        }
    }

    @Test("a UTC string parses to the instant it names")
    func parsesUTC() {
        #expect(Timestamp(rfc3339: "2026-11-29T05:00:00Z")?.millisecondsSinceEpoch == 1_795_928_400_000)
        #expect(Timestamp(rfc3339: "2026-11-29T05:00:00z")?.millisecondsSinceEpoch == 1_795_928_400_000)
        #expect(Timestamp(rfc3339: "2026-11-29 05:00:00Z")?.millisecondsSinceEpoch == 1_795_928_400_000)
        #expect(Timestamp(rfc3339: "2026-11-29")?.rfc3339 == "2026-11-29T00:00:00Z")
    }

    @Test("an offset is turned into UTC: Islamabad at 10:00 is 05:00Z, New York at 00:00 is 05:00Z")
    func parsesOffsets() {
        #expect(Timestamp(rfc3339: "2026-11-29T10:00:00+05:00")?.rfc3339 == "2026-11-29T05:00:00Z")
        #expect(Timestamp(rfc3339: "2026-11-29T00:00:00-05:00")?.rfc3339 == "2026-11-29T05:00:00Z")
        #expect(Timestamp(rfc3339: "2026-11-29T09:30:00+04:30")?.rfc3339 == "2026-11-29T05:00:00Z")
        #expect(Timestamp(rfc3339: "2026-11-29T05:00:00+00:00")?.rfc3339 == "2026-11-29T05:00:00Z")
        #expect(Timestamp(rfc3339: "2026-01-01T02:00:00+05:00")?.rfc3339 == "2025-12-31T21:00:00Z")
    }

    @Test("fractions of one to three digits are milliseconds")
    func parsesShortFractions() {
        #expect(Timestamp(rfc3339: "2026-11-29T05:00:00.1Z")?.rfc3339 == "2026-11-29T05:00:00.100Z")
        #expect(Timestamp(rfc3339: "2026-11-29T05:00:00.12Z")?.rfc3339 == "2026-11-29T05:00:00.120Z")
        #expect(Timestamp(rfc3339: "2026-11-29T05:00:00.123Z")?.rfc3339 == "2026-11-29T05:00:00.123Z")
        #expect(Timestamp(rfc3339: "2026-11-29T05:00:00.000Z")?.rfc3339 == "2026-11-29T05:00:00Z")
    }

    @Test("a client sending microseconds or nanoseconds gets milliseconds, not a crash")
    func parsesLongFractions() {
        #expect(Timestamp(rfc3339: "2026-11-29T05:00:00.1234Z")?.rfc3339 == "2026-11-29T05:00:00.123Z")
        #expect(Timestamp(rfc3339: "2026-11-29T05:00:00.123456Z")?.rfc3339 == "2026-11-29T05:00:00.123Z")
        #expect(Timestamp(rfc3339: "2026-11-29T10:00:00.999999999+05:00")?.rfc3339 == "2026-11-29T05:00:00.999Z")
    }

    @Test("any millisecond instant from 1900 to 2200 survives writing and reading back")
    func roundTrips() {
        var generator = SplitMix64(seed: 0x5EED_0001)
        let low: Int64 = -2_208_988_800_000
        let high: Int64 = 7_258_118_400_000
        for _ in 0..<20_000 {
            let ms = low + Int64(generator.next() % UInt64(high - low))
            let time = Timestamp(millisecondsSinceEpoch: ms)
            #expect(Timestamp(rfc3339: time.rfc3339) == time, "\(ms) → \(time.rfc3339)")
        }
    }

    @Test("a timestamp encodes as its RFC 3339 string and decodes back")
    func codable() throws {
        let time = Timestamp(millisecondsSinceEpoch: 1_795_928_400_123)
        let data = try JSONEncoder().encode([time])
        #expect(String(decoding: data, as: UTF8.self) == #"["2026-11-29T05:00:00.123Z"]"#)
        #expect(try JSONDecoder().decode([Timestamp].self, from: data) == [time])
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode([Timestamp].self, from: Data(#"["yesterday"]"#.utf8))
        }
    }

    @Test(
        "text that is not an RFC 3339 time is refused",
        arguments: [
            "", "yesterday", "2026-13-01", "2026-00-10", "2026-11-32", "2026-11-29T24:00:00Z",
            "2026-11-29T05:60:00Z", "2026-11-29T05:00:00", "2026-11-29T05:00Z", "2026-11-29T05:00:00.Z",
            "2026-11-29T05:00:00+0500", "2026-11-29T05:00:00Zjunk", "2026/11/29", "２０２６-11-29",
            "2026-11-29T05:00:00+05:00:00",
        ])
    func refusesGarbage(text: String) {
        #expect(Timestamp(rfc3339: text) == nil)
    }

    @Test("a day that does not exist in its month is refused")
    func refusesImpossibleDays() {
        #expect(Timestamp(rfc3339: "2026-02-31") == nil)
        #expect(Timestamp(rfc3339: "2026-04-31T00:00:00Z") == nil)
        #expect(Timestamp(rfc3339: "2024-02-29") != nil)
    }

    @Test("days between two times count fractions, and adding days moves whole days")
    func dayArithmetic() {
        let start = Timestamp(rfc3339: "2026-11-01T00:00:00Z")!
        #expect(start.days(until: Timestamp(rfc3339: "2026-11-29T12:00:00Z")!) == 28.5)
        #expect(start.adding(days: 90).date == "2027-01-30")
        #expect(start < start.adding(days: 1))
    }
}
