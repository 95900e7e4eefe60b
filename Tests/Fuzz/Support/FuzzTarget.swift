import Foundation

/// A fuzz target's program. Built with `-sanitize=fuzzer -DCASETRACK_FUZZING`,
/// libFuzzer drives `check` (`-help=1` lists its flags); otherwise every file
/// named, or in a directory named, is one input, and `finish` (given how many
/// there were) says how it went.
public enum FuzzTarget {
    public static func main(
        check: @escaping (UnsafeBufferPointer<UInt8>) -> Void, finish: (_ inputs: Int) -> String
    ) -> Never {
        #if CASETRACK_FUZZING
            exit(FuzzerDriver.run(check))
        #else
            let inputs = ReplayInputs.load(CommandLine.arguments.dropFirst())
            for (_, bytes) in inputs {
                bytes.withUnsafeBufferPointer { check($0) }
            }
            print(finish(inputs.count))
            exit(0)
        #endif
    }
}

/// The inputs a fuzz target replays when built without libFuzzer: the files
/// named, and the files in the directories named, in name order.
enum ReplayInputs {
    static func load(_ arguments: some Sequence<String>) -> [(path: String, bytes: [UInt8])] {
        var inputs: [(path: String, bytes: [UInt8])] = []
        let files = FileManager.default
        for argument in arguments {
            var isDirectory: ObjCBool = false
            guard files.fileExists(atPath: argument, isDirectory: &isDirectory) else {
                FileHandle.standardError.write(Data("no such file or directory: \(argument)\n".utf8))
                exit(64)
            }
            let paths =
                isDirectory.boolValue
                ? ((try? files.contentsOfDirectory(atPath: argument)) ?? []).sorted().map { "\(argument)/\($0)" }
                : [argument]
            for path in paths {
                guard let data = files.contents(atPath: path) else {
                    FileHandle.standardError.write(Data("cannot read \(path)\n".utf8))
                    exit(66)
                }
                inputs.append((path, [UInt8](data)))
            }
        }
        return inputs
    }
}

#if CASETRACK_FUZZING
    /// libFuzzer's entry point for programs with a main of their own.
    @_silgen_name("LLVMFuzzerRunDriver")
    private func LLVMFuzzerRunDriver(
        _ argc: UnsafeMutablePointer<CInt>,
        _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
        _ body: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
    ) -> CInt

    /// Runs libFuzzer on this process's arguments, feeding each input to a target.
    enum FuzzerDriver {
        nonisolated(unsafe) private static var target: ((UnsafeBufferPointer<UInt8>) -> Void)?

        static func run(_ body: @escaping (UnsafeBufferPointer<UInt8>) -> Void) -> CInt {
            target = body
            var argc = CommandLine.argc
            var argv = CommandLine.unsafeArgv
            return LLVMFuzzerRunDriver(&argc, &argv, fuzzOneInput)
        }

        fileprivate static func runTarget(_ data: UnsafePointer<UInt8>?, _ size: Int) {
            target!(UnsafeBufferPointer(start: data, count: size))
        }
    }

    /// The entry point libFuzzer knows by name. (Its own main, which SwiftPM's
    /// renamed main replaces, refers to it, so it must exist.)
    @_cdecl("LLVMFuzzerTestOneInput")
    public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
        FuzzerDriver.runTarget(data, size)
        return 0
    }
#endif
