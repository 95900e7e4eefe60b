// Fuzz target for the hand-written reader of plain JSON (`PlainJSONReader`),
// which spares JSONDecoder on the calls sent most often and on imports of
// thousands of cases. An input is one call message. Whatever the reader
// takes — the call's header (`PlainCall`), then its parameters as each type
// the daemon reads plainly — JSONDecoder must take too and read the same;
// anything else the reader leaves to JSONDecoder. A disagreement stops the
// process.
//
// The readers are internal to their modules, reached with @testable, which
// only debug builds allow (`make fuzz` builds debug); a release build of
// this program says so and exits.
import Foundation
import FuzzSupport
import Synchronization

#if DEBUG
@testable import CaseTrackDaemon
@testable import Varlink

/// How the server and the daemon decode a call when the plain reader declines.
struct Envelope<Parameters: Decodable>: Decodable {
    var parameters: Parameters?
}

/// Inputs whose header the plain reader took, and parameters it took.
let headers = Atomic<Int>(0)
let parameters = Atomic<Int>(0)

func check(_ input: UnsafeBufferPointer<UInt8>) {
    guard let call = PlainCall.read(UnsafeRawBufferPointer(input)) else { return }
    headers.add(1, ordering: .relaxed)
    let data = Data(buffer: input)
    let message = String(decoding: input, as: UTF8.self).debugDescription
    guard let header = try? JSONDecoder().decode(CallHeader.self, from: data) else {
        fatalError("the plain reader took a call whose header JSONDecoder refuses: \(message)")
    }
    guard header == call.header else {
        fatalError("the plain reader read the header \(call.header), JSONDecoder \(header), from \(message)")
    }
    guard let range = call.parameters else { return }
    compare(Wire.ID.self, input, range, data, message)
    compare(Wire.TransitionIn.self, input, range, data, message)
    compare(Wire.MoveIn.self, input, range, data, message)
    compare(Wire.ImportCasesIn.self, input, range, data, message)
}

func compare<T: PlainDecodable & Equatable>(
    _ type: T.Type, _ input: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, _ data: Data, _ message: String
) {
    var reader = PlainJSONReader(UnsafeBufferPointer(rebasing: input[range]))
    guard let plain = T(plain: &reader), reader.atEnd() else { return }
    parameters.add(1, ordering: .relaxed)
    guard let decoded = try? JSONDecoder().decode(Envelope<T>.self, from: data).parameters else {
        fatalError("the plain reader took parameters as \(T.self) that JSONDecoder refuses: \(message)")
    }
    guard decoded == plain else {
        fatalError("the plain reader read \(plain), JSONDecoder \(decoded), from \(message)")
    }
}

@main
enum Fuzzer {
    static func main() {
        FuzzTarget.main(check: check) {
            "casetrack-fuzz-plain: \($0) inputs replayed, \(headers.load(ordering: .relaxed)) headers and "
                + "\(parameters.load(ordering: .relaxed)) parameters taken by the plain reader, no finding"
        }
    }
}
#else
@main
enum Fuzzer {
    static func main() {
        FileHandle.standardError.write(Data("casetrack-fuzz-plain: needs a debug build (it reaches the daemon's internals)\n".utf8))
        exit(64)
    }
}
#endif
