// The constraint hook: masked characters are never drawn, each stream gets its own mask, the
// removed mass is reported per stream, and the kept distribution is the model's, renormalised.
import XCTest
@testable import CharModel

final class SamplingConstraintTests: XCTestCase {
    /// Allows only the characters of `allowed[stream]`, and records what was drawn.
    final class OnlyThese: SamplingConstraint {
        let masks: [[Bool]]
        var drawn: [[Int32]]
        init(_ allowed: [Set<Int32>], v: Int) {
            masks = allowed.map { set in (0 ..< v).map { set.contains(Int32($0)) } }
            drawn = Array(repeating: [], count: allowed.count)
        }
        func allowed(stream: Int) -> [Bool]? { masks[stream] }
        func didDraw(stream: Int, token: Int32) { drawn[stream].append(token) }
    }

    func testMaskedCharactersAreNeverDrawnAndRemovedMassIsReported() {
        let text = "X:1\nK:G\nabc def|gfe dcB|\n\n"
        let vocab = Vocabulary(text: text)
        var rng = SeededGenerator(seed: 3)
        let shape = ModelShape(vocabularySize: vocab.count, embeddingSize: 4, hiddenSize: 8, layers: 1)
        let model = CharLSTM(shape: shape, parameters: (0 ..< ParameterLayout(shape).count).map { _ in rng.uniform(-1, 1) })
        let a = vocab.id(of: "a")!, b = vocab.id(of: "b")!, c = vocab.id(of: "c")!
        let constraint = OnlyThese([[a, b], [c]], v: vocab.count)
        let sampler = Sampler(model: model, streams: 2)
        var draw = SeededGenerator(seed: 9)
        let texts = sampler.generate(primes: ["X", "X"], vocabulary: vocab, options: SamplingOptions(temperature: 1, maxLength: 40, stop: nil),
                                     rng: &draw, constraint: constraint)
        XCTAssertTrue(texts[0].allSatisfy { $0 == "a" || $0 == "b" }, texts[0])
        XCTAssertEqual(texts[1], String(repeating: "c", count: 40))
        XCTAssertEqual(constraint.drawn.map(\.count), [40, 40])
        let stats = sampler.constraintStatistics
        XCTAssertEqual(stats.draws, [40, 40])
        // Two of V characters kept out of ~14: most of the mass is removed, and less for two than for one.
        XCTAssertGreaterThan(stats.removedMass[0] / 40, 0.3)
        XCTAssertLessThan(stats.removedMass[0], stats.removedMass[1])
        XCTAssertGreaterThan(stats.meanRemovedMass, 0)
        XCTAssertLessThan(stats.meanRemovedMass, 1)
        // Without a constraint the same seed gives other characters too.
        var again = SeededGenerator(seed: 9)
        let free = sampler.generate(primes: ["X", "X"], vocabulary: vocab, options: SamplingOptions(temperature: 1, maxLength: 40, stop: nil), rng: &again)
        XCTAssertFalse(free[1].allSatisfy { $0 == "c" })
        XCTAssertEqual(sampler.constraintStatistics.draws, [0, 0])
    }
}
