// The sampler: its one-step inference matches the training forward pass (B = 1 GEMV path and
// batched), it is reproducible from a seed, greedy = top-k 1 = argmax, top-p keeps the right
// mass, masks and stop conditions hold, and different primes per stream equal separate runs.
import XCTest
@testable import CharModel

final class SamplerTests: XCTestCase {
    let text = "X:1\nK:G\nabc def|gfe dcB|\n\nX:2\nK:D\nfed cBA|\n\n"

    func model(seed: UInt64 = 5, layers: Int = 2) -> (CharLSTM, Vocabulary) {
        let vocab = Vocabulary(text: text)
        var rng = SeededGenerator(seed: seed)
        // Larger weights than the init so the distribution is far from uniform.
        let shape = ModelShape(vocabularySize: vocab.count, embeddingSize: 4, hiddenSize: 10, layers: layers)
        let p = (0 ..< ParameterLayout(shape).count).map { _ in rng.uniform(-1.5, 1.5) }
        return (CharLSTM(shape: shape, parameters: p), vocab)
    }

    func testStepMatchesTrainingForwardForOneAndManyStreams() {
        let (m, vocab) = model()
        let ids = vocab.encode(text)!
        for streams in [1, 3] {
            let steps = 7
            let inputs = (0 ..< streams * steps).map { ids[($0 * 5) % ids.count] }
            let cache = ForwardCache(shape: m.shape, batch: streams, steps: steps)
            m.forward(inputs: inputs, targets: nil, initial: nil, cache: cache)
            let expected = cache.logitsBatchMajor
            let s = Sampler(model: m, streams: streams)
            let v = m.shape.vocabularySize
            for t in 0 ..< steps {
                s.step((0 ..< streams).map { inputs[$0 * steps + t] })
                for b in 0 ..< streams {
                    let got = s.logits(stream: b)
                    for j in 0 ..< v { XCTAssertEqual(got[j], expected[(b * steps + t) * v + j], accuracy: 1e-5) }
                }
            }
        }
    }

    func testSameSeedSameTextAndDifferentSeedDifferentText() {
        let (m, vocab) = model()
        let opts = SamplingOptions(maxLength: 60, stop: nil)
        func run(_ seed: UInt64) -> [String] {
            var rng = SeededGenerator(seed: seed)
            return Sampler(model: m, streams: 2).generate(primes: ["X", "X"], vocabulary: vocab, options: opts, rng: &rng)
        }
        XCTAssertEqual(run(1), run(1))
        XCTAssertNotEqual(run(1), run(2))
        XCTAssertEqual(run(1)[0].unicodeScalars.count, 60)
    }

    func testGreedyEqualsTopKOneEqualsArgmax() {
        let (m, vocab) = model()
        var r1 = SeededGenerator(seed: 1), r2 = SeededGenerator(seed: 2)
        let greedy = Sampler(model: m).generate(primes: ["X:"], vocabulary: vocab, options: SamplingOptions(temperature: 0, maxLength: 30, stop: nil), rng: &r1)[0]
        let top1 = Sampler(model: m).generate(primes: ["X:"], vocabulary: vocab, options: SamplingOptions(topK: 1, maxLength: 30, stop: nil), rng: &r2)[0]
        XCTAssertEqual(greedy, top1)
        // Replay by hand: every character is the argmax of the logits.
        let s = Sampler(model: m)
        s.prime(vocab.encode("X:")!)
        for ch in greedy.unicodeScalars {
            let z = s.logits(stream: 0)
            let best = z.indices.max { z[$0] < z[$1] }!
            XCTAssertEqual(vocab.symbols[best], ch)
            s.step([vocab.id(of: ch)!])
        }
    }

    func testTopPAndTopKKeepOnlyTheirMass() {
        let (m, _) = model()
        let s = Sampler(model: m)
        let q: [Float] = [0.05, 0.5, 0.15, 0.3]
        var rng = SeededGenerator(seed: 3)
        var counts = [0, 0, 0, 0]
        for _ in 0 ..< 4000 { counts[Int(s.draw(from: q, topP: 0.8, rng: &rng)!)] += 1 }
        XCTAssertEqual(counts[0] + counts[2], 0, "outside the top 0.8 mass")
        XCTAssertEqual(Double(counts[1]) / 4000, 0.5 / 0.8, accuracy: 0.03)
        counts = [0, 0, 0, 0]
        for _ in 0 ..< 4000 { counts[Int(s.draw(from: q, topK: 3, rng: &rng)!)] += 1 }
        XCTAssertEqual(counts[0], 0)
        XCTAssertEqual(Double(counts[2]) / 4000, 0.15 / 0.95, accuracy: 0.03)
        counts = [0, 0, 0, 0]
        for _ in 0 ..< 4000 { counts[Int(s.draw(from: q, rng: &rng)!)] += 1 }
        for j in 0 ..< 4 { XCTAssertEqual(Double(counts[j]) / 4000, Double(q[j]), accuracy: 0.03) }
        XCTAssertNil(s.draw(from: [0, 0, 0, 0], rng: &rng))
    }

    func testMaskStopStringAndMaxLength() {
        let (m, vocab) = model()
        let banned = vocab.id(of: "a")!
        let newline = vocab.id(of: "\n")!
        var rng = SeededGenerator(seed: 4)
        // Force a blank line after 10 characters via the mask; "a" is never allowed.
        let out = Sampler(model: m, streams: 3).generate(
            primes: ["X", "X", "X"], vocabulary: vocab, options: SamplingOptions(maxLength: 50, stop: "\n\n"), rng: &rng,
            adjust: { _, text, p in
                p[Int(banned)] = 0
                if text.unicodeScalars.count >= 10 { for j in p.indices where j != Int(newline) { p[j] = 0 } }
            })
        for t in out {
            XCTAssertFalse(t.unicodeScalars.contains("a"))
            XCTAssertTrue(t.hasSuffix("\n\n"))
            XCTAssertLessThanOrEqual(t.unicodeScalars.count, 12)
        }
        var rng2 = SeededGenerator(seed: 4)
        let capped = Sampler(model: m).generate(primes: ["X"], vocabulary: vocab, options: SamplingOptions(maxLength: 7, stop: nil), rng: &rng2,
                                                shouldStop: { _, t in t.unicodeScalars.count == 5 })
        XCTAssertEqual(capped[0].unicodeScalars.count, 5)
    }

    func testDifferentPrimesPerStreamEqualSeparateRuns() {
        let (m, vocab) = model()
        let opts = SamplingOptions(temperature: 0, maxLength: 20, stop: nil)
        var rng = SeededGenerator(seed: 0)
        let together = Sampler(model: m, streams: 2).generate(primes: ["X:1\n", "K:D"], vocabulary: vocab, options: opts, rng: &rng)
        let alone0 = Sampler(model: m).generate(primes: ["X:1\n"], vocabulary: vocab, options: opts, rng: &rng)[0]
        let alone1 = Sampler(model: m).generate(primes: ["K:D"], vocabulary: vocab, options: opts, rng: &rng)[0]
        XCTAssertEqual(together, [alone0, alone1])
    }
}
