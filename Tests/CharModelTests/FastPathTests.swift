// The fast path (packed W_hh kernels, fused cell, layer-0 input table) computes what the
// reference path (OpenBLAS per-step products, Swift cell, input GEMM) computes; its packs and
// table can never be stale (every write to `parameters` rebuilds them); and its results are
// bit-identical run to run and across kernel thread counts.
import XCTest
@testable import CharModel
import Linalg

final class FastPathTests: XCTestCase, PathComparing {
    func testFastPathEqualsReferencePath() {
        for (l, b, h) in [(2, 3, 9), (1, 1, 9), (2, 8, 40), (1, 9, 33)] {
            let k = makeCase(hidden: h, layers: l, batch: b, seed: UInt64(l * 100 + b * 10 + h))
            var slow = k.model
            slow.usesPackedKernels = false
            XCTAssertTrue(k.model.usesPackedKernels, "fast path is the default")
            let fast = run(k.model, k), ref = run(slow, k)
            let what = "L=\(l) B=\(b) H=\(h)"
            XCTAssertEqual(fast.loss, ref.loss, accuracy: 1e-5, what)
            assertClose(fast.logits, ref.logits, "logits " + what)
            assertClose(fast.grads, ref.grads, "gradients " + what)
            assertClose(fast.final.h + fast.final.c, ref.final.h + ref.final.c, "final state " + what)
            assertClose(fast.dInitial.h + fast.dInitial.c, ref.dInitial.h + ref.dInitial.c, "initial-state gradient " + what)
        }
    }

    func testBitIdenticalRunToRunAndAcrossKernelThreads() {
        // Large enough that the kernels split the products between two threads (≥ 2 panels of 32
        // columns and ≥ 64k multiply-adds per product).
        let k = makeCase(vocabulary: 11, embedding: 6, hidden: 64, layers: 2, batch: 8, steps: 6, seed: 3)
        var one = k.model, two = k.model
        one.recurrentThreads = 1
        two.recurrentThreads = 2
        XCTAssertEqual(one.kernelThreads, 1)
        XCTAssertEqual(two.kernelThreads, 2)
        let a = run(one, k), b = run(two, k), c = run(two, k)
        XCTAssertEqual(a.bits, b.bits, "1 vs 2 kernel threads")
        XCTAssertEqual(b.bits, c.bits, "run to run")
    }

    func testTrainingLossesIdenticalAcrossKernelThreads() {
        let text = String(repeating: "X:1\nK:D\n|:ABcd efge|dcBA GFED:|\n\n", count: 20)
        let vocab = Vocabulary(text: text)
        func losses(threads: Int) -> ([Float], [Float]) {
            var rng = SeededGenerator(seed: 9)
            var m = CharLSTM(shape: ModelShape(vocabularySize: vocab.count, embeddingSize: 8, hiddenSize: 64, layers: 2), rng: &rng)
            m.recurrentThreads = threads
            let t = Trainer(model: m, tokens: vocab.encode(text)!, config: TrainerConfig(batch: 8, steps: 10, seed: 4, dropout: 0.2))
            return ((0 ..< 6).map { _ in t.step().loss }, t.model.parameters)
        }
        let (l1, p1) = losses(threads: 1), (l2, p2) = losses(threads: 2), (l2b, _) = losses(threads: 2)
        XCTAssertEqual(l1.map(\.bitPattern), l2.map(\.bitPattern))
        XCTAssertEqual(l2.map(\.bitPattern), l2b.map(\.bitPattern))
        XCTAssertEqual(p1.map(\.bitPattern), p2.map(\.bitPattern))
    }

    /// Every way of changing the parameters is seen by the next product: results always equal
    /// those of a model freshly built from the same parameters.
    func testPacksAndTableAreNeverStale() {
        let k = makeCase()
        func fresh(_ m: CharLSTM) -> PathResult { run(CharLSTM(shape: m.shape, parameters: m.parameters), k) }
        var m = k.model
        let before = run(m, k)
        for name in ["lstm.weight_hh_l0", "lstm.weight_hh_l1", "embedding.weight", "lstm.weight_ih_l0", "lstm.bias_hh_l0", "lstm.bias_ih_l0"] {
            // Embedding: a row of a token the inputs use.
            let i = m.layout[name]!.offset + (name == "embedding.weight" ? Int(k.inputs[0]) * m.shape.embeddingSize : 3)
            m.parameters[i] += 0.25 // one element, in place
            let after = run(m, k)
            XCTAssertNotEqual(after.logits, before.logits, "\(name): change not seen")
            XCTAssertEqual(after.bits, fresh(m).bits, "\(name): stale derived weights")
            m.parameters[i] -= 0.25
        }
        // Whole-array assignment and in-place mutation through a pointer.
        var q = m.parameters
        for i in q.indices { q[i] *= 0.9 }
        m.parameters = q
        XCTAssertEqual(run(m, k).bits, fresh(m).bits)
        m.parameters.withUnsafeMutableBufferPointer { for i in $0.indices { $0[i] *= 1.1 } }
        XCTAssertEqual(run(m, k).bits, fresh(m).bits)
        // A copy keeps its own weights (value semantics).
        let copy = m
        m.parameters[m.layout["lstm.weight_hh_l0"]!.offset] += 1
        XCTAssertEqual(run(copy, k).bits, fresh(copy).bits)
        XCTAssertNotEqual(run(copy, k).bits, run(m, k).bits)
    }

    func testTrainerUpdatesAndRestoreRepack() {
        let text = String(repeating: "X:1\nT:Tune\nK:D\n|:ABcd efge|dcBA GFED:|\n\n", count: 6)
        let vocab = Vocabulary(text: text)
        var rng = SeededGenerator(seed: 2)
        let model = CharLSTM(shape: ModelShape(vocabularySize: vocab.count, embeddingSize: 4, hiddenSize: 9, layers: 2), rng: &rng)
        let config = TrainerConfig(batch: 3, steps: 6, optimizer: AdamConfig(learningRate: 0.02), seed: 1)
        let t = Trainer(model: model, tokens: vocab.encode(text)!, config: config)
        let k = makeCase(vocabulary: vocab.count, embedding: 4, hidden: 9, layers: 2)
        let initial = (t.model.parameters, t.state)
        for _ in 0 ..< 3 {
            t.step()
            XCTAssertEqual(run(t.model, k).bits, run(CharLSTM(shape: model.shape, parameters: t.model.parameters), k).bits,
                           "after an Adam step")
        }
        t.restore(parameters: initial.0, state: initial.1)
        XCTAssertEqual(run(t.model, k).bits, run(model, k).bits, "after restore")
    }

    func testSamplerFastPathEqualsReferencePathAndTrainingForward() {
        for layers in [1, 2] {
            let k = makeCase(hidden: 9, layers: layers)
            var slow = k.model
            slow.usesPackedKernels = false
            for streams in [1, 3] {
                let steps = 6
                let inputs = (0 ..< streams * steps).map { Int32(($0 * 5 + 1) % 7) }
                let cache = ForwardCache(shape: k.model.shape, batch: streams, steps: steps)
                k.model.forward(inputs: inputs, targets: nil, initial: nil, cache: cache)
                let expected = cache.logitsBatchMajor
                let fast = Sampler(model: k.model, streams: streams), ref = Sampler(model: slow, streams: streams)
                let v = k.model.shape.vocabularySize
                for t in 0 ..< steps {
                    let row = (0 ..< streams).map { inputs[$0 * steps + t] }
                    fast.step(row)
                    ref.step(row)
                    for b in 0 ..< streams {
                        let want = Array(expected[((b * steps + t) * v) ..< ((b * steps + t + 1) * v)])
                        assertClose(fast.logits(stream: b), want, "fast sampler vs training forward L=\(layers) B=\(streams) t=\(t)")
                        assertClose(ref.logits(stream: b), want, "reference sampler vs training forward L=\(layers) B=\(streams) t=\(t)")
                    }
                }
            }
        }
    }
}
