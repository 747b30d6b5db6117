// Shared by the path-comparison tests (FastPathTests, BF16Tests): a small model with odd sizes,
// one forward and backward pass with everything it produces, and a scaled closeness check.
import XCTest
@testable import CharModel

struct PathCase {
    var model: CharLSTM
    var inputs: [Int32], targets: [Int32]
    var initial: LSTMState
    var batch: Int, steps: Int
}

struct PathResult: Equatable {
    var loss: Float, logits: [Float], grads: [Float], final: LSTMState, dInitial: LSTMState
    var bits: [UInt32] { ([loss] + logits + grads + final.h + final.c + dInitial.h + dInitial.c).map(\.bitPattern) }
}

protocol PathComparing {}

extension PathComparing {
    /// Odd sizes on purpose (H = 9 is not a multiple of 8 or 16, B = 3), weights U(±0.6).
    func makeCase(vocabulary v: Int = 7, embedding e: Int = 5, hidden h: Int = 9, layers l: Int = 2,
                  batch b: Int = 3, steps t: Int = 5, seed: UInt64 = 11) -> PathCase {
        let shape = ModelShape(vocabularySize: v, embeddingSize: e, hiddenSize: h, layers: l)
        var rng = SeededGenerator(seed: seed)
        let p = (0 ..< ParameterLayout(shape).count).map { _ in rng.uniform(-0.6, 0.6) }
        let inputs = (0 ..< b * t).map { _ in Int32(rng.next() % UInt64(v)) }
        let targets = (0 ..< b * t).map { _ in Int32(rng.next() % UInt64(v)) }
        let n = l * b * h
        let s0 = LSTMState(layers: l, batch: b, hidden: h, h: (0 ..< n).map { _ in rng.uniform(-0.5, 0.5) },
                           c: (0 ..< n).map { _ in rng.uniform(-0.5, 0.5) })
        return PathCase(model: CharLSTM(shape: shape, parameters: p), inputs: inputs, targets: targets, initial: s0, batch: b, steps: t)
    }

    func run(_ m: CharLSTM, _ k: PathCase) -> PathResult {
        let cache = ForwardCache(shape: m.shape, batch: k.batch, steps: k.steps)
        let (loss, final) = m.forward(inputs: k.inputs, targets: k.targets, initial: k.initial, cache: cache)
        let logits = cache.logitsBatchMajor
        var g = [Float](repeating: 0, count: m.parameters.count)
        let d0 = m.backward(cache: cache, gradients: &g)
        return PathResult(loss: loss, logits: logits, grads: g, final: final, dInitial: d0)
    }

    func assertClose(_ a: [Float], _ b: [Float], _ what: String, tolerance: Float = 1e-5, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, what, file: file, line: line)
        let scale = max(1, b.map { abs($0) }.max() ?? 1)
        var worst: Float = 0
        for i in a.indices { worst = max(worst, abs(a[i] - b[i])) }
        XCTAssertLessThanOrEqual(worst, tolerance * scale, "\(what): max difference \(worst)", file: file, line: line)
    }
}
