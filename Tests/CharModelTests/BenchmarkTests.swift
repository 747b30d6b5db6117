// The benchmark entry point runs end to end on a tiny configuration, and its FLOP formula is
// bench/common.py's (ref: 25.6 GFLOP per training iteration at V = 83).
import XCTest
@testable import CharModel

final class BenchmarkTests: XCTestCase {
    func testFlopFormulaMatchesReferenceTable() {
        let ref = BenchmarkConfig.presets["ref"]!
        let perIteration = 3 * Double(ref.batch * ref.steps) * ref.forwardFlopsPerCharacter(vocabularySize: 83)
        XCTAssertEqual(perIteration / 1e9, 25.6, accuracy: 0.05)
        let c = BenchmarkConfig.presets["c"]!
        XCTAssertEqual(3 * Double(c.batch * c.steps) * c.forwardFlopsPerCharacter(vocabularySize: 83) / 1e9, 33.1, accuracy: 0.1)
    }

    func testTinyRunProducesFigures() {
        var config = BenchmarkConfig(name: "tiny", embedding: 3, hidden: 8, layers: 2, batch: 2, steps: 5)
        (config.iterations, config.warmup, config.sampleLength, config.batchedStreams, config.batchedLength) = (3, 1, 10, 3, 4)
        let tokens = (0 ..< 200).map { Int32($0 % 7) }
        var lines: [String] = []
        let f = ModelBenchmark.run(config, tokens: tokens, vocabularySize: 7, log: { lines.append($0) })
        XCTAssertGreaterThan(f.msPerIteration, 0)
        XCTAssertGreaterThan(f.trainGigaflopsPerSecond, 0)
        XCTAssertGreaterThan(f.sample1CharactersPerSecond, 0)
        XCTAssertGreaterThan(f.sampleBatchedCharactersPerSecond, 0)
        XCTAssertTrue(f.lossFirst.isFinite)
        XCTAssertTrue(lines.joined().contains("ms/iter"))
    }
}
