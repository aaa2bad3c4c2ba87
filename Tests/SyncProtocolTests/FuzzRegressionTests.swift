import Foundation
import KCFuzz
import Testing

/// QUALITY.md 8 in `swift test`: every seed of the fuzz corpora (`Fuzz/Corpus/TARGET/`) and
/// every input a fuzzer ever crashed on (`Fuzz/Regressions/TARGET/`) runs through its target:
/// a crash that was fixed stays fixed. `Tools/fuzz.sh TARGET SECONDS` runs the fuzzers.
struct FuzzRegressionTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fuzz")

    static func inputs(_ target: FuzzTarget, in folder: String) -> [URL] {
        let directory = root.appendingPathComponent(folder).appendingPathComponent(target.rawValue)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { !$0.hasPrefix(".") }.sorted().map { directory.appendingPathComponent($0) }
    }

    @Test(arguments: FuzzTarget.allCases)
    func everySeedAndEveryFormerCrashRuns(target: FuzzTarget) throws {
        let seeds = FuzzRegressionTests.inputs(target, in: "Corpus")
        #expect(seeds.count >= 3, "the \(target) corpus has seeds")
        for file in seeds + FuzzRegressionTests.inputs(target, in: "Regressions") {
            target.run(try Data(contentsOf: file))
        }
    }
}
