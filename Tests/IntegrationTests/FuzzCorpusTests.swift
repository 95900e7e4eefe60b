import Foundation
import Testing

/// The fuzz targets' committed seed corpora, replayed by the targets built
/// without libFuzzer: every input that once mattered keeps passing their
/// checks (`make fuzz` runs the libFuzzer builds for new inputs).
@Suite struct FuzzCorpusTests {
    static let corpus = Binaries.packageRoot + "/Tests/Fuzz/Corpus"

    @Test func varlinkCorpusPasses() throws {
        let seeds = try FileManager.default.contentsOfDirectory(atPath: Self.corpus + "/varlink")
        let run = try runProcess(
            Binaries.directory + "/casetrack-fuzz-varlink", [Self.corpus + "/varlink"], withErrors: true)
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.contains("\(seeds.count) inputs replayed"), "\(run.output)")
        #expect(run.output.contains("no finding"), "\(run.output)")
        // The seeds reach the methods: many replies, some of them errors, and a final Verify.
        let replies = run.output.firstMatch(of: /(\d+) replies \((\d+) errors\), (\d+) verifications/)
        #expect(Int(replies?.1 ?? "") ?? 0 >= 40, "\(run.output)")
        #expect(Int(replies?.2 ?? "") ?? 0 >= 10, "\(run.output)")
        #expect(Int(replies?.3 ?? "") ?? 0 >= 1, "\(run.output)")
    }

    @Test func csvCorpusPasses() throws {
        let seeds = try FileManager.default.contentsOfDirectory(atPath: Self.corpus + "/csv")
        let run = try runProcess(Binaries.directory + "/casetrack-fuzz-csv", [Self.corpus + "/csv"], withErrors: true)
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.contains("\(seeds.count) inputs replayed, no finding"), "\(run.output)")
    }

    @Test func plainCorpusPasses() throws {
        let seeds = try FileManager.default.contentsOfDirectory(atPath: Self.corpus + "/plain")
        let run = try runProcess(
            Binaries.directory + "/casetrack-fuzz-plain", [Self.corpus + "/plain"], withErrors: true)
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.contains("\(seeds.count) inputs replayed"), "\(run.output)")
        // The oracle is only exercised by what the plain reader takes.
        let taken = run.output.firstMatch(of: /(\d+) headers and (\d+) parameters taken by the plain reader, no finding/)
        #expect(Int(taken?.1 ?? "") ?? 0 >= 6, "\(run.output)")
        #expect(Int(taken?.2 ?? "") ?? 0 >= 5, "\(run.output)")
    }
}
