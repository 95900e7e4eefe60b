// Fuzz target for the daemon's hand-written reader of `ImportCases` calls
// (`Wire.ImportCasesIn.plain`, which spares JSONDecoder on batches of
// thousands of cases). An input is one call message. Whatever the reader
// takes, JSONDecoder must take too and read as the same cases; anything else
// the reader leaves to JSONDecoder. A disagreement stops the process.
//
// The reader is internal to the daemon's module, reached with @testable,
// which only debug builds allow (`make fuzz` builds debug); a release build
// of this program says so and exits.
import Foundation
import FuzzSupport
import Synchronization

#if DEBUG
@testable import CaseTrackDaemon

/// How the daemon decodes a call when the plain reader declines.
struct Envelope: Decodable {
    var parameters: Wire.ImportCasesIn?
}

/// Inputs the plain reader took (the others say nothing about it).
let taken = Atomic<Int>(0)

func check(_ input: UnsafeBufferPointer<UInt8>) {
    guard let plain = Wire.ImportCasesIn.plain(UnsafeRawBufferPointer(input)) else { return }
    taken.add(1, ordering: .relaxed)
    let message = String(decoding: input, as: UTF8.self).debugDescription
    guard let decoded = try? JSONDecoder().decode(Envelope.self, from: Data(buffer: input)).parameters else {
        fatalError("the plain reader took a call JSONDecoder refuses: \(message)")
    }
    guard decoded == plain else {
        fatalError("the plain reader read \(plain), JSONDecoder \(decoded), from \(message)")
    }
}

@main
enum Fuzzer {
    static func main() {
        FuzzTarget.main(check: check) {
            "casetrack-fuzz-import: \($0) inputs replayed, \(taken.load(ordering: .relaxed)) taken by the plain reader, no finding"
        }
    }
}
#else
@main
enum Fuzzer {
    static func main() {
        FileHandle.standardError.write(Data("casetrack-fuzz-import: needs a debug build (it reaches the daemon's internals)\n".utf8))
        exit(64)
    }
}
#endif
