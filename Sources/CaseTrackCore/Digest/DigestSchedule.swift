public import Foundation

/// When digests are due: every `interval`, aligned to a time of day in a
/// time zone (`every: 24h, at: "06:00"` is daily at 06:00; `every: 6h` is
/// 00:00, 06:00, 12:00 and 18:00).
///
/// The interval divides a day or is a whole number of days. Slots are
/// wall-clock times in the zone, so "06:00 local" stays 06:00 across a
/// daylight-saving change.
public struct DigestSchedule: Sendable, Hashable {
    /// Seconds between slots.
    public let interval: Int
    /// Seconds after local midnight of one slot.
    public let alignment: Int
    public let timeZone: TimeZone

    public enum Problem: Error, Sendable, Hashable, CustomStringConvertible {
        case interval(Int)
        case alignment(Int)

        public var description: String {
            switch self {
            case .interval(let seconds):
                "an interval of \(seconds) s neither divides a day nor is a whole number of days"
            case .alignment(let seconds): "a time of day \(seconds) s after midnight is not within a day"
            }
        }
    }

    public init(interval: Int, alignment: Int = 0, timeZone: TimeZone = TimeZone(identifier: "UTC")!) throws(Problem) {
        guard interval >= 1, 86_400 % interval == 0 || interval % 86_400 == 0 else { throw .interval(interval) }
        guard (0..<86_400).contains(alignment) else { throw .alignment(alignment) }
        self.interval = interval
        self.alignment = alignment
        self.timeZone = timeZone
    }

    /// The latest slot at or before `time`.
    public func slot(atOrBefore time: Timestamp) -> Timestamp {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let date = Date(timeIntervalSince1970: Double(time.millisecondsSinceEpoch) / 1000)
        let today = calendar.dateComponents([.year, .month, .day], from: date)
        let todayNumber = Timestamp.days(fromCivil: Int64(today.year!), today.month!, today.day!)
        let days = max(1, interval / 86_400)
        let perDay = interval < 86_400 ? 86_400 / interval : 1
        // Wall-clock offsets of the slots within a day, latest first.
        let offsets = (0..<perDay).map { (alignment + $0 * interval) % 86_400 }.sorted(by: >)
        for back in 0...(days + 1) {
            let dayNumber = todayNumber - Int64(back)
            if days > 1, ((dayNumber % Int64(days)) + Int64(days)) % Int64(days) != 0 { continue }
            let (year, month, day) = Timestamp.civil(fromDays: dayNumber)
            for offset in offsets {
                let components = DateComponents(
                    year: Int(year), month: month, day: day, hour: offset / 3600, minute: offset / 60 % 60,
                    second: offset % 60)
                guard let slot = calendar.date(from: components) else { continue }
                let stamp = Timestamp(millisecondsSinceEpoch: Int64((slot.timeIntervalSince1970 * 1000).rounded()))
                if stamp <= time { return stamp }
            }
        }
        return time
    }

    /// The first slot after `time`.
    public func slot(after time: Timestamp) -> Timestamp {
        var probe = time.adding(seconds: interval)
        while true {
            let slot = slot(atOrBefore: probe)
            if slot <= time {
                probe = probe.adding(seconds: interval)
            } else {
                // Step back until the slot before it is not after `time`.
                var candidate = slot
                while true {
                    let earlier = self.slot(atOrBefore: candidate.adding(seconds: -1))
                    if earlier <= time { return candidate }
                    candidate = earlier
                }
            }
        }
    }

    /// Whether a digest is due at `now` when the last one was taken at
    /// `last`: a slot has passed since. However many slots passed, one
    /// digest catches them up.
    public func isDue(now: Timestamp, last: Timestamp) -> Bool {
        slot(atOrBefore: now) > last
    }
}

extension Timestamp {
    public func adding(seconds: Int) -> Timestamp {
        Timestamp(millisecondsSinceEpoch: millisecondsSinceEpoch + Int64(seconds) * 1000)
    }
}
