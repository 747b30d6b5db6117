// The benchmark entry point runs end to end on a tiny configuration, and its FLOP formula is
// bench/common.py's (ref: 25.6 GFLOP per training iteration at V = 83).
import XCTest
@testable import CharModel
import Linalg

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
        // Every phase of the step is accounted for, and the phases add up to about an iteration.
        XCTAssertEqual(f.phaseMilliseconds.count, StepProfile.Phase.allCases.count)
        XCTAssertTrue(f.phaseMilliseconds.allSatisfy { $0 >= 0 })
        XCTAssertGreaterThan(f.phaseMilliseconds[StepProfile.Phase.recurrentForward.rawValue], 0)
        XCTAssertGreaterThan(f.phaseMilliseconds[StepProfile.Phase.update.rawValue], 0)
        XCTAssertTrue(lines.joined().contains("recurrent products, backward"))
        // Weights per sampled character: both layers' packed W_hh, layer 1's W_ih, a table row, the output layer.
        let packed = 2 * 32 * 8 * 4 // 4H = 32 rows (one panel) × H = 8 columns, fp32, per layer
        XCTAssertEqual(f.bytesPerSampledCharacter, packed + 4 * 8 * 8 * 4 + 4 * 8 * 4 + (7 * 8 + 7) * 4)
        XCTAssertEqual(f.recurrentBytesPerIteration, 2 * 5 * packed)
        config.precision = .bf16
        let g = ModelBenchmark.run(config, tokens: tokens, vocabularySize: 7, log: { _ in })
        XCTAssertEqual(f.bytesPerSampledCharacter - g.bytesPerSampledCharacter, packed / 2, "bf16 halves the packed W_hh")
    }
}
