// Agreement with an independent implementation: Scripts/reference_lstm.py (numpy, float64)
// wrote logits, loss, every gradient, the initial-state gradient and the losses of three
// clipped Adam steps for fixed small weights; the Swift model must reproduce them.
import Foundation
import XCTest
@testable import CharModel

final class ReferenceFixtureTests: XCTestCase {
    struct Fixture: Decodable {
        struct AdamPart: Decodable {
            var lr: Float, beta1: Float, beta2: Float, eps: Float, clip: Float
            var losses: [Double]
            var gradientNorms: [Double]
        }
        var V: Int, E: Int, H: Int, L: Int, B: Int, T: Int
        var parameters: [Float]
        var inputs: [Int32], targets: [Int32]
        var h0: [Float], c0: [Float]
        var logits: [Double]
        var loss: Double
        var gradients: [Double]
        var dh0: [Double], dc0: [Double]
        var adam: AdamPart
    }

    func load() throws -> Fixture {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "reference_lstm", withExtension: "json", subdirectory: "Fixtures"))
        return try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
    }

    /// Relative error per tensor (‖a−b‖/‖b‖ ≤ 1e-4) and per element (|a−b| ≤ 1e-4·|b| + 1e-7).
    func assertClose(_ a: [Float], _ b: [Double], _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, what, file: file, line: line)
        var num = 0.0, den = 0.0
        for (x, y) in zip(a, b) {
            num += (Double(x) - y) * (Double(x) - y)
            den += y * y
            if abs(Double(x) - y) > 1e-4 * abs(y) + 1e-7 {
                XCTFail("\(what): \(x) vs reference \(y)", file: file, line: line)
                return
            }
        }
        XCTAssertLessThanOrEqual(num.squareRoot(), 1e-4 * den.squareRoot(), what, file: file, line: line)
    }

    func testLogitsLossGradientsMatchNumpyReference() throws {
        let f = try load()
        let shape = ModelShape(vocabularySize: f.V, embeddingSize: f.E, hiddenSize: f.H, layers: f.L)
        let model = CharLSTM(shape: shape, parameters: f.parameters)
        let cache = ForwardCache(shape: shape, batch: f.B, steps: f.T)
        let s0 = LSTMState(layers: f.L, batch: f.B, hidden: f.H, h: f.h0, c: f.c0)
        let (loss, _) = model.forward(inputs: f.inputs, targets: f.targets, initial: s0, cache: cache)
        XCTAssertEqual(Double(loss), f.loss, accuracy: 1e-4 * f.loss)
        assertClose(cache.logitsBatchMajor, f.logits, "logits")
        var g = [Float](repeating: 0, count: f.parameters.count)
        let d0 = model.backward(cache: cache, gradients: &g)
        for t in model.layout.tensors {
            assertClose(Array(g[t.range]), Array(f.gradients[t.range]), t.name)
        }
        assertClose(d0.h, f.dh0, "dh0")
        assertClose(d0.c, f.dc0, "dc0")
    }

    func testThreeClippedAdamStepsMatchNumpyReference() throws {
        let f = try load()
        let shape = ModelShape(vocabularySize: f.V, embeddingSize: f.E, hiddenSize: f.H, layers: f.L)
        var model = CharLSTM(shape: shape, parameters: f.parameters)
        let cache = ForwardCache(shape: shape, batch: f.B, steps: f.T)
        let s0 = LSTMState(layers: f.L, batch: f.B, hidden: f.H, h: f.h0, c: f.c0)
        var adam = Adam(config: AdamConfig(learningRate: f.adam.lr, beta1: f.adam.beta1, beta2: f.adam.beta2, epsilon: f.adam.eps),
                        parameterCount: model.parameters.count)
        var g = [Float](repeating: 0, count: f.parameters.count)
        for step in 0 ..< f.adam.losses.count {
            let (loss, _) = model.forward(inputs: f.inputs, targets: f.targets, initial: s0, cache: cache)
            XCTAssertEqual(Double(loss), f.adam.losses[step], accuracy: 1e-4 * f.adam.losses[step], "loss before update \(step + 1)")
            if step == f.adam.gradientNorms.count { break }
            for i in g.indices { g[i] = 0 }
            model.backward(cache: cache, gradients: &g)
            let norm = GradientClipping.clip(&g, maxNorm: f.adam.clip)
            XCTAssertEqual(Double(norm), f.adam.gradientNorms[step], accuracy: 1e-4 * f.adam.gradientNorms[step])
            XCTAssertLessThanOrEqual(GradientClipping.globalNorm(g), f.adam.clip * 1.00001)
            adam.update(parameters: &model.parameters, gradients: g)
        }
        XCTAssertEqual(adam.state.step, 3)
    }
}
