// bf16 recurrent weights (`CharLSTM.weightPrecision = .bf16`): the fast path then computes
// exactly the model whose W_hh is rounded to bf16 (the fp32 reference path on rounded weights
// agrees to fp32 rounding), forward, backward and sampling alike; it is deterministic run to run
// and across kernel threads; and it really rounds (it differs from fp32).
import XCTest
@testable import CharModel
import Linalg

final class BF16Tests: XCTestCase, PathComparing {

    /// The same model as fp32 parameters with every W_hh rounded to bf16, on the reference path.
    private func roundedReference(_ m: CharLSTM) -> CharLSTM {
        var p = m.parameters
        for l in 0 ..< m.shape.layers {
            for i in m.layout["lstm.weight_hh_l\(l)"]!.range { p[i] = WeightPrecision.bf16.rounded(p[i]) }
        }
        var r = CharLSTM(shape: m.shape, parameters: p)
        r.usesPackedKernels = false
        return r
    }

    func testBF16PathIsTheModelWithRoundedRecurrentWeights() {
        for (l, b, h) in [(2, 3, 9), (1, 1, 40), (2, 8, 40), (1, 9, 33)] {
            let k = makeCase(hidden: h, layers: l, batch: b, seed: UInt64(l * 100 + b * 10 + h))
            var fast = k.model
            fast.weightPrecision = .bf16
            let got = run(fast, k), want = run(roundedReference(k.model), k), fp32 = run(k.model, k)
            let what = "L=\(l) B=\(b) H=\(h)"
            XCTAssertEqual(got.loss, want.loss, accuracy: 1e-5, what)
            assertClose(got.logits, want.logits, "logits " + what)
            assertClose(got.grads, want.grads, "gradients " + what)
            assertClose(got.final.h + got.final.c, want.final.h + want.final.c, "final state " + what)
            assertClose(got.dInitial.h + got.dInitial.c, want.dInitial.h + want.dInitial.c, "initial-state gradient " + what)
            XCTAssertNotEqual(got.logits, fp32.logits, "bf16 must differ from fp32: " + what)
        }
    }

    func testBF16BitIdenticalRunToRunAndAcrossKernelThreads() {
        let k = makeCase(vocabulary: 11, embedding: 6, hidden: 64, layers: 2, batch: 8, steps: 6, seed: 3)
        var one = k.model, two = k.model
        one.weightPrecision = .bf16
        two.weightPrecision = .bf16
        one.recurrentThreads = 1
        two.recurrentThreads = 2
        let a = run(one, k), b = run(two, k), c = run(two, k)
        XCTAssertEqual(a.bits, b.bits, "1 vs 2 kernel threads")
        XCTAssertEqual(b.bits, c.bits, "run to run")
    }

    /// Training steps, then a new trainer restored from the parameters and state: the rest of the
    /// run is bit-identical (what `--resume` relies on), and the packs follow every update.
    func testBF16TrainingResumesBitForBit() {
        let text = String(repeating: "X:1\nK:D\n|:ABcd efge|dcBA GFED:|\n\n", count: 20)
        let vocab = Vocabulary(text: text)
        var rng = SeededGenerator(seed: 9)
        var m = CharLSTM(shape: ModelShape(vocabularySize: vocab.count, embeddingSize: 8, hiddenSize: 40, layers: 1), rng: &rng)
        m.weightPrecision = .bf16
        let config = TrainerConfig(batch: 4, steps: 10, seed: 4)
        let whole = Trainer(model: m, tokens: vocab.encode(text)!, config: config)
        let losses = (0 ..< 6).map { _ in whole.step().loss }
        let first = Trainer(model: m, tokens: vocab.encode(text)!, config: config)
        for _ in 0 ..< 3 { first.step() }
        var resumedModel = CharLSTM(shape: m.shape, parameters: first.model.parameters)
        resumedModel.weightPrecision = .bf16
        let resumed = Trainer(model: resumedModel, tokens: vocab.encode(text)!, config: config)
        resumed.restore(parameters: first.model.parameters, state: first.state)
        let rest = (0 ..< 3).map { _ in resumed.step().loss }
        XCTAssertEqual(rest.map(\.bitPattern), losses.suffix(3).map(\.bitPattern))
        XCTAssertEqual(resumed.model.parameters.map(\.bitPattern), whole.model.parameters.map(\.bitPattern))
    }

    /// The trainer's update packs W_hh as it goes (fused with Adam): after each step the model
    /// computes exactly what a model freshly packed from the same parameters computes.
    func testFusedUpdatePacksEqualFreshPacks() {
        let text = String(repeating: "X:1\nT:Tune\nK:D\n|:ABcd efge|dcBA GFED:|\n\n", count: 6)
        let vocab = Vocabulary(text: text)
        for precision in WeightPrecision.allCases {
            var rng = SeededGenerator(seed: 2)
            // H = 40: 4H = 160 rows is five forward panels; H = 40 columns a full and a partial backward panel.
            var model = CharLSTM(shape: ModelShape(vocabularySize: vocab.count, embeddingSize: 4, hiddenSize: 40, layers: 2), rng: &rng)
            model.weightPrecision = precision
            let t = Trainer(model: model, tokens: vocab.encode(text)!,
                            config: TrainerConfig(batch: 3, steps: 6, optimizer: AdamConfig(learningRate: 0.02), seed: 1))
            let k = makeCase(vocabulary: vocab.count, embedding: 4, hidden: 40, layers: 2)
            for step in 0 ..< 3 {
                t.step()
                var fresh = CharLSTM(shape: model.shape, parameters: t.model.parameters)
                fresh.weightPrecision = precision
                XCTAssertEqual(run(t.model, k).bits, run(fresh, k).bits, "\(precision) after step \(step + 1)")
            }
        }
    }

    func testBF16SamplerEqualsTrainingForward() {
        for layers in [1, 2] {
            let k = makeCase(hidden: 40, layers: layers)
            var model = k.model
            model.weightPrecision = .bf16
            let steps = 6, streams = 3
            let inputs = (0 ..< streams * steps).map { Int32(($0 * 5 + 1) % 7) }
            let cache = ForwardCache(shape: model.shape, batch: streams, steps: steps)
            model.forward(inputs: inputs, targets: nil, initial: nil, cache: cache)
            let expected = cache.logitsBatchMajor
            let sampler = Sampler(model: model, streams: streams)
            let v = model.shape.vocabularySize
            for t in 0 ..< steps {
                sampler.step((0 ..< streams).map { inputs[$0 * steps + t] })
                for b in 0 ..< streams {
                    let want = Array(expected[((b * steps + t) * v) ..< ((b * steps + t + 1) * v)])
                    assertClose(sampler.logits(stream: b), want, "bf16 sampler vs training forward L=\(layers) t=\(t)")
                }
            }
        }
    }

    /// Half the bytes of W_hh per sampled character.
    func testBytesPerSampledCharacter() {
        let shape = ModelShape(vocabularySize: 83, embeddingSize: 256, hiddenSize: 1024, layers: 1)
        var rng = SeededGenerator(seed: 1)
        var m = CharLSTM(shape: shape, rng: &rng)
        let fp32 = m.bytesPerSampledCharacter
        m.weightPrecision = .bf16
        XCTAssertEqual(fp32 - m.bytesPerSampledCharacter, 4 * 1024 * 1024 * 2, "W_hh [4H, H] at 2 bytes instead of 4")
    }
}
