import CaseTrackCore
import Foundation
import Testing

/// casetrackctl's request ids: UUID version 7, ordered by the time they were made.
@Suite("Request ids")
struct RequestIDTests {
    @Test("an id is a lowercase UUID of version 7 and the RFC's variant, whose first 48 bits are the time")
    func layout() throws {
        var random = SystemRandomNumberGenerator()
        let time = Timestamp(millisecondsSinceEpoch: 1_795_928_400_123)
        let id = RequestID.make(at: time, using: &random)
        let uuid = try #require(UUID(uuidString: id))
        #expect(uuid.uuidString.lowercased() == id)
        let bytes = withUnsafeBytes(of: uuid.uuid) { Array($0) }
        #expect(bytes[6] >> 4 == 7)
        #expect(bytes[8] >> 6 == 0b10)
        #expect(bytes[0..<6].reduce(0) { $0 << 8 | Int64($1) } == time.millisecondsSinceEpoch)
        #expect(id.hasPrefix("01a2"))  // 1_795_928_400_123 = 0x01A2_…
    }

    @Test("ids made later sort later as text; ids made in one millisecond differ")
    func order() {
        var random = SystemRandomNumberGenerator()
        var ids: [String] = []
        for millisecond in stride(from: Int64(0), to: 2_000_000_000_000, by: 9_876_543_211) {
            ids.append(RequestID.make(at: Timestamp(millisecondsSinceEpoch: millisecond), using: &random))
        }
        #expect(ids == ids.sorted())
        let now = Timestamp(millisecondsSinceEpoch: 1_795_928_400_000)
        let same = (0..<1000).map { _ in RequestID.make(at: now, using: &random) }
        #expect(Set(same).count == 1000)
    }

    @Test("random ids are lowercase UUIDs of version 4")
    func random() throws {
        var random = SystemRandomNumberGenerator()
        for _ in 0..<100 {
            let id = RequestID.random(using: &random)
            let uuid = try #require(UUID(uuidString: id))
            #expect(uuid.uuidString.lowercased() == id)
            let bytes = withUnsafeBytes(of: uuid.uuid) { Array($0) }
            #expect(bytes[6] >> 4 == 4)
            #expect(bytes[8] >> 6 == 0b10)
        }
    }
}
