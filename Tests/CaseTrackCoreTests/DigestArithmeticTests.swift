import Foundation
import Testing

@testable import CaseTrackCore

@Suite("Digest arithmetic")
struct DigestArithmeticTests {
    func json(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    @Test("a withheld count is a flag in JSON, never a number; an exact one is a number")
    func countJSON() throws {
        #expect(try json(DigestCount.cell(7, threshold: 5)) == "7")
        #expect(try json(DigestCount.cell(0, threshold: 5)) == "0")
        #expect(
            try json(DigestCount.cell(3, threshold: 5))
                == #"{"below":5,"shown":0,"suppressed":true,"withheldParts":1}"#)
        let total = DigestCount.cell(120, threshold: 5) + .cell(3, threshold: 5) + .cell(1, threshold: 5)
        #expect(try json(total) == #"{"below":5,"shown":120,"suppressed":true,"withheldParts":2}"#)
        #expect(total.description == "120 + 2×<5")
        #expect(try JSONDecoder().decode(DigestCount.self, from: Data(try json(total).utf8)) == total)
        #expect(DigestCount.cell(3, threshold: nil) == .exact(3))
    }

    @Test("percentile ranks are nearest-rank; clearance rounds up and says when it cannot be projected")
    func ranksAndClearance() {
        #expect(DigestFacts.percentileRanks(cases: 1) == (0, 0))
        #expect(DigestFacts.percentileRanks(cases: 10) == (4, 8))
        #expect(DigestFacts.percentileRanks(cases: 11) == (5, 9))
        let now = Timestamp(rfc3339: "2026-12-01T00:00:00Z")!
        #expect(
            Clearance(active: .exact(100), last30Days: .exact(30), at: now) == .projected(date: "2027-03-11", days: 100)
        )
        #expect(
            Clearance(active: .exact(101), last30Days: .exact(30), at: now) == .projected(date: "2027-03-12", days: 101)
        )
        #expect(Clearance(active: .exact(100), last30Days: .zero, at: now) == .noneAtCurrentRate)
        #expect(Clearance(active: .zero, last30Days: .exact(9), at: now) == .nothingToClear)
        #expect(Clearance(active: .exact(100), last30Days: .cell(2, threshold: 5), at: now) == .withheld)
        #expect(Clearance.noneAtCurrentRate.description == "none at current rate")
    }
}
