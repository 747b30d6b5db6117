// The training loop: exact resume from the weights and a TrainingState, non-finite steps skipped, loss falls,
// evaluation in bits per character; plus the batcher, Adam schedule and clipping pieces.
import XCTest
@testable import CharModel

final class TrainerTests: XCTestCase {
    static let tune = "X:1\nT:Tune\nK:D\n|:ABcd efge|dcBA GFED:|\n\n"
    let text = String(repeating: tune, count: 6)
    let tuneStarts = (0 ..< 6).map { $0 * tune.unicodeScalars.count }

    func makeTrainer(mode: Batcher.Mode, seed: UInt64 = 7, dropout: Float = 0) -> (Trainer, Vocabulary) {
        let vocab = Vocabulary(text: text)
        let shape = ModelShape(vocabularySize: vocab.count, embeddingSize: 4, hiddenSize: 8, layers: 2)
        var rng = SeededGenerator(seed: seed)
        let model = CharLSTM(shape: shape, rng: &rng)
        let config = TrainerConfig(batch: 3, steps: 6, optimizer: AdamConfig(learningRate: 0.02), clipNorm: 1, batchMode: mode, seed: seed, dropout: dropout)
        return (Trainer(model: model, tokens: vocab.encode(text)!, config: config, tuneStarts: mode == .tunes ? tuneStarts : []), vocab)
    }

    func testResumingFromSnapshotGivesBitIdenticalLosses() {
        for (mode, dropout) in [(Batcher.Mode.random, Float(0)), (.tunes, 0), (.random, 0.3), (.tunes, 0.3)] {
            let (a, _) = makeTrainer(mode: mode, dropout: dropout)
            let straight = (0 ..< 8).map { _ in a.step().loss }
            let (b, _) = makeTrainer(mode: mode, dropout: dropout)
            var resumed = (0 ..< 3).map { _ in b.step().loss }
            // Snapshot through JSON (as a checkpoint would) into a brand-new trainer.
            let data = try! JSONEncoder().encode(b.state)
            let snapshot = try! JSONDecoder().decode(TrainingState.self, from: data)
            let (c, _) = makeTrainer(mode: mode, seed: 7, dropout: dropout)
            c.restore(parameters: b.model.parameters, state: snapshot)
            resumed += (0 ..< 5).map { _ in c.step().loss }
            XCTAssertEqual(straight, resumed, "\(mode)")
            XCTAssertEqual(a.state, c.state, "\(mode)")
            XCTAssertEqual(a.model.parameters.map(\.bitPattern), c.model.parameters.map(\.bitPattern), "\(mode)")
        }
    }

    func testLossFallsOnRepetitiveText() {
        let (t, _) = makeTrainer(mode: .random)
        let first = t.step()
        XCTAssertTrue(first.applied)
        XCTAssertEqual(first.characters, 18)
        var last = first
        for _ in 0 ..< 150 { last = t.step() }
        XCTAssertLessThan(last.loss, first.loss * 0.7)
        XCTAssertEqual(last.step, 151)
    }

    func testNonFiniteStepIsNotApplied() {
        let (t, _) = makeTrainer(mode: .random)
        t.step()
        var bad = t.model.parameters
        bad[bad.count - 1] = .nan // fc.bias: every logit of one class NaN
        t.restore(parameters: bad, state: t.state)
        let before = t.state, parametersBefore = t.model.parameters
        let s = t.step()
        XCTAssertFalse(s.applied)
        XCTAssertFalse(s.loss.isFinite)
        XCTAssertEqual(t.state.adam, before.adam)
        XCTAssertEqual(t.model.parameters.map(\.bitPattern), parametersBefore.map(\.bitPattern))
    }

    func testEvaluateIsBitsPerCharacterAndUniformModelScoresLog2V() {
        let (t, vocab) = makeTrainer(mode: .random)
        let tokens = vocab.encode(text)!
        // All-zero parameters predict uniformly: exactly log2(V) bits per character.
        let zero = CharLSTM(shape: t.model.shape, parameters: [Float](repeating: 0, count: t.model.parameters.count))
        let bpc = Trainer.bitsPerCharacter(model: zero, tokens: tokens, streams: 3, steps: 7)
        XCTAssertEqual(bpc, log2(Double(vocab.count)), accuracy: 1e-5)
        let before = t.evaluate(tokens, streams: 2, steps: 10)
        for _ in 0 ..< 40 { t.step() }
        XCTAssertLessThan(t.evaluate(tokens, streams: 2, steps: 10), before)
    }

    func testBatcherWindowsAndSequentialContinuity() {
        let tokens = (0 ..< 50).map { Int32($0) }
        var r = Batcher(tokens: tokens, batch: 4, steps: 5, mode: .random, seed: 1)
        for _ in 0 ..< 20 {
            let b = r.next()
            for s in 0 ..< 4 {
                for t in 0 ..< 5 { XCTAssertEqual(b.targets[s * 5 + t], b.inputs[s * 5 + t] + 1) }
                XCTAssertLessThanOrEqual(b.targets[s * 5 + 4], 49)
            }
        }
    }

    /// Tunes mode: each stream continues its tune from where its last window stopped; a tune's
    /// end is padded with −1 targets; the next window starts a new tune (never one without a
    /// target) from its first character, and says so.
    func testBatcherTunesWalkWholeTunes() {
        let tokens = (0 ..< 30).map { Int32($0) }
        let starts = [0, 4, 5, 17]   // tunes of 4, 1 (nothing to predict), 12 and 13 characters
        var q = Batcher(tokens: tokens, batch: 2, steps: 5, mode: .tunes, seed: 3, tuneStarts: starts)
        var next = [Int32?](repeating: nil, count: 2)
        var tunesSeen = Set<Int32>()
        for _ in 0 ..< 60 {
            let b = q.next()
            var counted = 0
            for s in 0 ..< 2 {
                let x = Array(b.inputs[s * 5 ..< s * 5 + 5]), y = Array(b.targets[s * 5 ..< s * 5 + 5])
                if b.resets[s] {
                    XCTAssertTrue([0, 17, 5].contains(x[0]), "a new tune starts at its first character")
                    tunesSeen.insert(x[0])
                } else {
                    XCTAssertEqual(x[0], next[s], "stream \(s) continues its tune")
                }
                let n = y.firstIndex(of: -1) ?? 5
                XCTAssertGreaterThan(n, 0)
                XCTAssertTrue(y[n...].allSatisfy { $0 == -1 }, "padding only at the end")
                for t in 0 ..< n { XCTAssertEqual(y[t], x[t] + 1) }
                XCTAssertFalse(y[..<n].contains { starts.contains(Int($0)) }, "no target crosses into the next tune")
                counted += n
                next[s] = n == 5 ? x[4] + 1 : nil
            }
            XCTAssertEqual(b.targetCount, counted)
        }
        XCTAssertEqual(tunesSeen, [0, 5, 17])
        // Its state resumes it exactly.
        var r = Batcher(tokens: tokens, batch: 2, steps: 5, mode: .tunes, seed: 99, tuneStarts: starts)
        XCTAssertNil(r.problem(with: q.state))
        r.state = q.state
        for _ in 0 ..< 10 { XCTAssertEqual(r.next(), q.next()) }
        var bad = q.state
        bad.cursors[0] = 4
        XCTAssertNotNil(r.problem(with: bad))
    }

    func testScheduleAndClipping() {
        XCTAssertEqual(LearningRateSchedule.constant.rate(0.1, step: 100), 0.1)
        let cosine = LearningRateSchedule.cosine(warmup: 10, total: 110, floor: 0.1)
        XCTAssertEqual(cosine.rate(1, step: 5), 0.5, accuracy: 1e-6)
        XCTAssertEqual(cosine.rate(1, step: 110), 0.1, accuracy: 1e-6)
        var g: [Float] = [3, 4]
        XCTAssertEqual(GradientClipping.clip(&g, maxNorm: 1), 5)
        XCTAssertEqual(g[0], 0.6, accuracy: 1e-6)
        XCTAssertEqual(g[1], 0.8, accuracy: 1e-6)
        var small: [Float] = [0.3, 0.4]
        GradientClipping.clip(&small, maxNorm: 1)
        XCTAssertEqual(small, [0.3, 0.4])
    }

    func testInitialisationFollowsReferenceDistributions() {
        let shape = ModelShape(vocabularySize: 10, embeddingSize: 6, hiddenSize: 5, layers: 2)
        var rng = SeededGenerator(seed: 3)
        let m = CharLSTM(shape: shape, rng: &rng)
        var rng2 = SeededGenerator(seed: 3)
        XCTAssertEqual(m.parameters, CharLSTM(shape: shape, rng: &rng2).parameters, "seeded: reproducible")
        let p = m.parameters, layout = m.layout
        XCTAssertTrue(p[layout["embedding.weight"]!.range].allSatisfy { abs($0) <= 0.05 })
        XCTAssertTrue(p[layout["lstm.weight_ih_l0"]!.range].allSatisfy { abs($0) <= (6.0 / 26.0).squareRoot() })
        XCTAssertTrue(p[layout["lstm.weight_hh_l1"]!.range].allSatisfy { abs($0) <= (6.0 / 25.0).squareRoot() })
        let b = Array(p[layout["lstm.bias_ih_l1"]!.range])
        XCTAssertEqual(b, [0, 0, 0, 0, 0, 1, 1, 1, 1, 1] + [Float](repeating: 0, count: 10))
        XCTAssertTrue(p[layout["lstm.bias_hh_l0"]!.range].allSatisfy { $0 == 0 })
        XCTAssertTrue(p[layout["fc.bias"]!.range].allSatisfy { $0 == 0 })
    }
}

final class VocabularyAndGeneratorTests: XCTestCase {
    func testVocabularyIsSortedScalarsAndRoundTrips() throws {
        let v = Vocabulary(text: "ba\r\nab é")
        XCTAssertEqual(v.symbols.map(\.value), [10, 13, 32, 97, 98, 233])
        XCTAssertEqual(v.encode("ab\r\n"), [3, 4, 1, 0])
        XCTAssertEqual(v.decode([3, 4, 1, 0] as [Int32]), "ab\r\n")
        XCTAssertNil(v.encode("z"))
        XCTAssertEqual(v.encodeDroppingUnknown("azb").dropped, 1)
        let data = try JSONEncoder().encode(v)
        XCTAssertEqual(try JSONDecoder().decode(Vocabulary.self, from: data), v)
        XCTAssertThrowsError(try JSONDecoder().decode(Vocabulary.self, from: Data("\"aa\"".utf8)))
    }

    func testGeneratorIsDeterministicAndRestorable() {
        var a = SeededGenerator(seed: 42)
        _ = (0 ..< 5).map { _ in a.next() }
        let saved = a.state
        let next = (0 ..< 5).map { _ in a.next() }
        var b = SeededGenerator(state: saved)
        XCTAssertEqual((0 ..< 5).map { _ in b.next() }, next)
        XCTAssertNotEqual(SeededGenerator(seed: 1).state, SeededGenerator(seed: 2).state)
        var u = SeededGenerator(seed: 9)
        let xs = (0 ..< 1000).map { _ in u.nextUnitFloat() }
        XCTAssertTrue(xs.allSatisfy { $0 >= 0 && $0 < 1 })
        XCTAssertEqual(xs.reduce(0, +) / 1000, 0.5, accuracy: 0.05)
    }

    /// Whole-tune scoring equals scoring each tune alone from a zero state (one forward pass over
    /// the tune), summed over characters, whatever the grouping and window length.
    func testBitsPerCharacterOfTunesEqualsEachTuneAloneFromZero() {
        let shape = ModelShape(vocabularySize: 9, embeddingSize: 4, hiddenSize: 12, layers: 2)
        var rng = SeededGenerator(seed: 3)
        let model = CharLSTM(shape: shape, rng: &rng)
        let tunes: [[Int32]] = [5, 23, 1, 9, 40, 2, 17].map { n in (0 ..< n).map { _ in Int32(rng.next() % 9) } }
        var nats = 0.0, count = 0
        for tune in tunes where tune.count >= 2 {
            let cache = ForwardCache(shape: shape, batch: 1, steps: tune.count - 1)
            let (loss, _) = model.forward(inputs: Array(tune.dropLast()), targets: Array(tune.dropFirst()), initial: nil, cache: cache)
            nats += Double(loss) * Double(tune.count - 1)
            count += tune.count - 1
        }
        let alone = nats / Double(count) / log(2.0)
        for (streams, steps) in [(1, 100), (3, 7), (8, 5), (2, 1)] {
            let grouped = Trainer.bitsPerCharacter(model: model, tunes: tunes, streams: streams, steps: steps)
            XCTAssertEqual(grouped, alone, accuracy: 1e-5, "streams \(streams), steps \(steps)")
        }
        XCTAssertTrue(Trainer.bitsPerCharacter(model: model, tunes: [[1]], streams: 2, steps: 4).isNaN, "nothing to score")
    }
}
