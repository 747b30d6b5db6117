// Gradients are proven, not trusted: the analytic BPTT gradients of every parameter block and
// of the carried initial state (h0, c0) against central finite differences of an independent
// Double-precision forward; and T=1 stepping against the unrolled pass.
import XCTest
@testable import CharModel

final class GradientTests: XCTestCase {
    struct Problem {
        var shape: ModelShape
        var params: [Float]
        var inputs: [Int32]
        var targets: [Int32]
        var h0: [Float]
        var c0: [Float]
        var batch: Int
        var steps: Int
    }

    /// Tiny model with weights large enough (U(±0.6)) that every gate is away from its linear regime.
    func problem(layers: Int, seed: UInt64, batch: Int = 2, steps: Int = 3, hidden: Int = 4) -> Problem {
        let shape = ModelShape(vocabularySize: 5, embeddingSize: 3, hiddenSize: hidden, layers: layers)
        var rng = SeededGenerator(seed: seed)
        let n = ParameterLayout(shape).count
        let params = (0 ..< n).map { _ in rng.uniform(-0.6, 0.6) }
        let inputs = (0 ..< batch * steps).map { _ in Int32(rng.next() % 5) }
        let targets = (0 ..< batch * steps).map { _ in Int32(rng.next() % 5) }
        let sn = layers * batch * hidden
        let h0 = (0 ..< sn).map { _ in rng.uniform(-0.5, 0.5) }
        let c0 = (0 ..< sn).map { _ in rng.uniform(-0.5, 0.5) }
        return Problem(shape: shape, params: params, inputs: inputs, targets: targets, h0: h0, c0: c0, batch: batch, steps: steps)
    }

    func analytic(_ pr: Problem) -> (loss: Float, grads: [Float], dInitial: LSTMState) {
        let model = CharLSTM(shape: pr.shape, parameters: pr.params)
        let cache = ForwardCache(shape: pr.shape, batch: pr.batch, steps: pr.steps)
        let s0 = LSTMState(layers: pr.shape.layers, batch: pr.batch, hidden: pr.shape.hiddenSize, h: pr.h0, c: pr.c0)
        let (loss, _) = model.forward(inputs: pr.inputs, targets: pr.targets, initial: s0, cache: cache)
        var g = [Float](repeating: 0, count: pr.params.count)
        let d0 = model.backward(cache: cache, gradients: &g)
        return (loss, g, d0)
    }

    func check(_ pr: Problem, file: StaticString = #filePath, line: UInt = #line) {
        let ref = DoubleReference(pr.shape)
        let p = pr.params.map(Double.init), h0 = pr.h0.map(Double.init), c0 = pr.c0.map(Double.init)
        func L(_ p: [Double], _ h0: [Double], _ c0: [Double]) -> Double {
            ref.loss(p, inputs: pr.inputs, targets: pr.targets, batch: pr.batch, steps: pr.steps, h0: h0, c0: c0)
        }
        let (loss, g, d0) = analytic(pr)
        XCTAssertEqual(Double(loss), L(p, h0, c0), accuracy: 1e-5, "loss vs Double reference", file: file, line: line)
        let eps = 1e-5
        func close(_ a: Float, _ fd: Double) -> Bool { abs(Double(a) - fd) <= 1e-5 + 1e-3 * abs(fd) }
        var checked = 0
        for tensor in ref.layout.tensors {
            var worst = 0.0
            for i in tensor.range {
                var up = p, dn = p
                up[i] += eps; dn[i] -= eps
                let fd = (L(up, h0, c0) - L(dn, h0, c0)) / (2 * eps)
                worst = max(worst, abs(Double(g[i]) - fd))
                if !close(g[i], fd) {
                    XCTFail("\(tensor.name)[\(i - tensor.offset)]: analytic \(g[i]) vs finite difference \(fd)", file: file, line: line)
                    return
                }
                checked += 1
            }
            XCTAssertGreaterThan(tensor.range.map { abs(g[$0]) }.max()!, 1e-4, "\(tensor.name) gradient is not trivially zero", file: file, line: line)
        }
        for i in 0 ..< h0.count {
            var up = h0, dn = h0
            up[i] += eps; dn[i] -= eps
            let fdh = (L(p, up, c0) - L(p, dn, c0)) / (2 * eps)
            XCTAssertTrue(close(d0.h[i], fdh), "dh0[\(i)] \(d0.h[i]) vs \(fdh)", file: file, line: line)
            var upc = c0, dnc = c0
            upc[i] += eps; dnc[i] -= eps
            let fdc = (L(p, h0, upc) - L(p, h0, dnc)) / (2 * eps)
            XCTAssertTrue(close(d0.c[i], fdc), "dc0[\(i)] \(d0.c[i]) vs \(fdc)", file: file, line: line)
        }
        XCTAssertEqual(checked, pr.params.count)
    }

    func testFiniteDifferencesOneLayer() { check(problem(layers: 1, seed: 1)) }
    func testFiniteDifferencesTwoLayers() { check(problem(layers: 2, seed: 2)) }
    func testFiniteDifferencesSingleStreamUsesGemvPath() { check(problem(layers: 2, seed: 3, batch: 1, steps: 4)) }
    /// H = 9: the cell's eight-lane path and its scalar tail both run.
    func testFiniteDifferencesEightLaneCellPath() { check(problem(layers: 2, seed: 5, hidden: 9)) }

    /// Padding (target −1) adds neither loss nor gradient, with a carried initial state: the
    /// second stream's tail is padding (its tune ended), and one target of the first stream too.
    func testFiniteDifferencesWithCarriedStateAndPaddedTargets() {
        for layers in [1, 2] {
            var pr = problem(layers: layers, seed: 11, batch: 2, steps: 5, hidden: 9)
            pr.targets[2] = -1
            pr.targets[7] = -1
            pr.targets[8] = -1
            pr.targets[9] = -1
            check(pr)
            // The padded positions' inputs do not matter either: change them, same loss and gradients.
            var other = pr
            other.inputs[8] = (other.inputs[8] + 1) % 5
            other.inputs[9] = (other.inputs[9] + 2) % 5
            let (a, b) = (analytic(pr), analytic(other))
            XCTAssertEqual(a.loss, b.loss)
            XCTAssertEqual(a.grads, b.grads)
        }
    }

    func testAllPaddingGivesZeroLossAndGradient() {
        var pr = problem(layers: 2, seed: 12)
        pr.targets = pr.targets.map { _ in -1 }
        let (loss, g, d0) = analytic(pr)
        XCTAssertEqual(loss, 0)
        XCTAssertTrue(g.allSatisfy { $0 == 0 })
        XCTAssertTrue(d0.h.allSatisfy { $0 == 0 } && d0.c.allSatisfy { $0 == 0 })
    }

    /// Running T=1 windows one after another, carrying (h, c) forward and the state gradient
    /// backward, gives the unrolled pass's logits, final state and (summed) gradients.
    func testSteppingOneStepAtATimeEqualsUnrolled() {
        let pr = problem(layers: 2, seed: 4, batch: 2, steps: 4)
        let (bsz, tsz) = (pr.batch, pr.steps)
        let model = CharLSTM(shape: pr.shape, parameters: pr.params)
        let s0 = LSTMState(layers: 2, batch: bsz, hidden: 4, h: pr.h0, c: pr.c0)

        let full = ForwardCache(shape: pr.shape, batch: bsz, steps: tsz)
        let (lossFull, finalFull) = model.forward(inputs: pr.inputs, targets: pr.targets, initial: s0, cache: full)
        let logitsFull = full.logitsBatchMajor
        var gFull = [Float](repeating: 0, count: pr.params.count)
        let d0Full = model.backward(cache: full, gradients: &gFull)

        // Forward one step at a time, keeping each step's cache.
        var caches: [ForwardCache] = []
        var state = s0
        var lossSum: Float = 0
        for t in 0 ..< tsz {
            let x = (0 ..< bsz).map { pr.inputs[$0 * tsz + t] }
            let y = (0 ..< bsz).map { pr.targets[$0 * tsz + t] }
            let cache = ForwardCache(shape: pr.shape, batch: bsz, steps: 1)
            let (loss, next) = model.forward(inputs: x, targets: y, initial: state, cache: cache)
            let lg = cache.logitsBatchMajor
            for b in 0 ..< bsz {
                for j in 0 ..< 5 {
                    XCTAssertEqual(lg[b * 5 + j], logitsFull[(b * tsz + t) * 5 + j], accuracy: 1e-6)
                }
            }
            lossSum += loss
            state = next
            caches.append(cache)
        }
        XCTAssertEqual(lossSum / Float(tsz), lossFull, accuracy: 1e-6)
        for i in 0 ..< state.h.count {
            XCTAssertEqual(state.h[i], finalFull.h[i], accuracy: 1e-6)
            XCTAssertEqual(state.c[i], finalFull.c[i], accuracy: 1e-6)
        }
        // Backward in reverse, the state gradient flowing from step t+1 into step t. Each step's
        // loss is a mean over B, so the sum is T × the unrolled mean's gradient.
        var gSum = [Float](repeating: 0, count: pr.params.count)
        var dState: LSTMState? = nil
        for cache in caches.reversed() {
            dState = model.backward(cache: cache, gradients: &gSum, dFinal: dState)
        }
        for i in 0 ..< gSum.count {
            XCTAssertEqual(gSum[i] / Float(tsz), gFull[i], accuracy: 1e-6 + 1e-4 * abs(gFull[i]), "param \(i)")
        }
        for i in 0 ..< d0Full.h.count {
            XCTAssertEqual(dState!.h[i] / Float(tsz), d0Full.h[i], accuracy: 1e-6)
            XCTAssertEqual(dState!.c[i] / Float(tsz), d0Full.c[i], accuracy: 1e-6)
        }
    }
}

extension GradientTests {
    /// With dropout between layers, the gradients of the masked loss (masks taken from the cache)
    /// still match central finite differences of the Double reference.
    func testDropoutGradientsMatchFiniteDifferences() {
        let pr = problem(layers: 3, seed: 11, hidden: 4)
        let model = CharLSTM(shape: pr.shape, parameters: pr.params)
        let cache = ForwardCache(shape: pr.shape, batch: pr.batch, steps: pr.steps)
        let s0 = LSTMState(layers: 3, batch: pr.batch, hidden: 4, h: pr.h0, c: pr.c0)
        let (loss, _) = model.forward(inputs: pr.inputs, targets: pr.targets, initial: s0, cache: cache, dropout: 0.4, dropoutSeed: 9)
        let masks = [cache.dropoutMask(after: 0), cache.dropoutMask(after: 1)]
        XCTAssertTrue(masks[0].contains(0) && masks[0].contains(1 / 0.6), "mask has dropped and kept units")
        var grads = [Float](repeating: 0, count: pr.params.count)
        model.backward(cache: cache, gradients: &grads)
        let ref = DoubleReference(pr.shape)
        let p = pr.params.map(Double.init), h0 = pr.h0.map(Double.init), c0 = pr.c0.map(Double.init)
        func L(_ p: [Double]) -> Double {
            ref.loss(p, inputs: pr.inputs, targets: pr.targets, batch: pr.batch, steps: pr.steps, h0: h0, c0: c0, masks: masks)
        }
        XCTAssertEqual(Double(loss), L(p), accuracy: 1e-5)
        let eps = 1e-5
        for i in stride(from: 0, to: p.count, by: 3) {
            var up = p, dn = p
            up[i] += eps; dn[i] -= eps
            let fd = (L(up) - L(dn)) / (2 * eps)
            XCTAssertEqual(Double(grads[i]), fd, accuracy: 1e-5 + 1e-3 * abs(fd), "param \(i)")
        }
        // Rate 0 is exactly the plain pass.
        let plain = ForwardCache(shape: pr.shape, batch: pr.batch, steps: pr.steps)
        let a = model.forward(inputs: pr.inputs, targets: pr.targets, initial: s0, cache: plain).loss
        let b = model.forward(inputs: pr.inputs, targets: pr.targets, initial: s0, cache: plain, dropout: 0, dropoutSeed: 5).loss
        XCTAssertEqual(a, b)
    }
}
