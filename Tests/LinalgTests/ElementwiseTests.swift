// ElementwiseTests: exp, sigmoid and tanh against libm; the eight lanes against the scalar;
// the softmax; and Swift's definitions against the C cell's (CKernels): the portable C path
// gives the same bits as Swift, the AVX-512 path agrees within a stated number of ulp.
import Foundation
import XCTest
@testable import Linalg

final class ElementwiseTests: XCTestCase {
    func testAgreeWithLibm() {
        var worstExp: Float = 0, worstSigmoid: Float = 0, worstTanh: Float = 0
        var x: Float = -80
        while x <= 80 {
            worstExp = max(worstExp, abs(Elementwise.exp(x) - expf(x)) / expf(x))
            worstSigmoid = max(worstSigmoid, abs(Elementwise.sigmoid(x) - 1 / (1 + expf(-x))))
            worstTanh = max(worstTanh, abs(Elementwise.tanh(x) - tanhf(x)))
            x += 0.0037
        }
        XCTAssertLessThan(worstExp, 4e-7)
        XCTAssertLessThan(worstSigmoid, 1.5e-7)
        XCTAssertLessThan(worstTanh, 2.5e-7)
        // Near 0 tanh is the odd polynomial: relative error stays small.
        for t: Float in [1e-30, 1e-6, 0.01, -0.3, 0.6] {
            XCTAssertEqual(Elementwise.tanh(t), tanhf(t), accuracy: abs(tanhf(t)) * 3e-7)
        }
    }

    func testExtremesAndNaN() {
        XCTAssertTrue(Elementwise.exp(1000).isFinite)
        XCTAssertEqual(Elementwise.exp(-1000), expf(-87), accuracy: 1e-40)
        XCTAssertEqual(Elementwise.exp(0), 1)
        XCTAssertEqual(Elementwise.sigmoid(0), 0.5)
        XCTAssertEqual(Elementwise.sigmoid(-1000), 0, accuracy: 1e-37)
        XCTAssertEqual(Elementwise.sigmoid(1000), 1)
        XCTAssertEqual(Elementwise.tanh(0), 0)
        XCTAssertEqual(Elementwise.tanh(100), 1)
        XCTAssertEqual(Elementwise.tanh(-100), -1)
        XCTAssertTrue(Elementwise.exp(.nan).isNaN)
        XCTAssertTrue(Elementwise.tanh(.nan).isNaN)
    }

    func testEachLaneIsTheScalar() {
        var x: Float = -30
        while x < 30 {
            let v = SIMD8<Float>((0 ..< 8).map { x + Float($0) * 0.0071 - 0.02 })
            let e = Elementwise.exp(v), s = Elementwise.sigmoid(v), t = Elementwise.tanh(v)
            for k in 0 ..< 8 {
                XCTAssertEqual(e[k].bitPattern, Elementwise.exp(v[k]).bitPattern)
                XCTAssertEqual(s[k].bitPattern, Elementwise.sigmoid(v[k]).bitPattern)
                XCTAssertEqual(t[k].bitPattern, Elementwise.tanh(v[k]).bitPattern)
            }
            x += 0.37
        }
    }

    func testSoftmaxIsStableAndReturnsMaxAndSum() {
        let logits: [Float] = [1000, 1001, 999, -1000, 1000.5, 998, 997, 1001, 1000.25, 3]
        var p = [Float](repeating: 0, count: logits.count)
        let (mx, sum) = logits.withUnsafeBufferPointer { z in
            p.withUnsafeMutableBufferPointer { Elementwise.softmax(z.baseAddress!, into: $0.baseAddress!, count: z.count) }
        }
        XCTAssertEqual(mx, 1001)
        let expected = logits.map { Foundation.exp(Double($0) - 1001) }
        XCTAssertEqual(Double(sum), expected.reduce(0, +), accuracy: 1e-5)
        for (q, e) in zip(p, expected) { XCTAssertEqual(Double(q), e / expected.reduce(0, +), accuracy: 1e-7) }
        XCTAssertEqual(p.reduce(0, +), 1, accuracy: 1e-6)
        // In place gives the same.
        var inPlace = logits
        inPlace.withUnsafeMutableBufferPointer { Elementwise.softmax(UnsafePointer($0.baseAddress!), into: $0.baseAddress!, count: $0.count) }
        XCTAssertEqual(inPlace, p)
        // At a temperature: the softmax of z / t (what the sampler draws from).
        for t: Float in [0.5, 0.7, 2] {
            var q = [Float](repeating: 0, count: logits.count)
            logits.withUnsafeBufferPointer { z in
                q.withUnsafeMutableBufferPointer { _ = Elementwise.softmax(z.baseAddress!, into: $0.baseAddress!, count: z.count, temperature: t) }
            }
            let e = logits.map { Foundation.exp((Double($0) - 1001) / Double(t)) }
            let total = e.reduce(0, +)
            for (x, y) in zip(q, e) { XCTAssertEqual(Double(x), y / total, accuracy: 1e-6, "t \(t)") }
        }
    }

    /// Pre-activations spread over the range an LSTM sees, with both tanh branches and the clamps.
    private func gates(_ h: Int) -> [Float] {
        var s: UInt64 = 12345
        return (0 ..< 4 * h).map { k in
            s = s &* 6364136223846793005 &+ 1442695040888963407
            let u = Float(s >> 40) / Float(1 << 24) - 0.5
            return k % 5 == 0 ? u * 2 : k % 5 == 1 ? u * 24 : k % 97 == 3 ? u * 400 : u * 6
        }
    }

    /// The C cell (one row, H units) on `level`, and Swift's functions on the same inputs.
    private func cellBothWays(level: String, h: Int) -> (c: [Float], swift: [Float]) {
        let pre = gates(h)
        let cIn = Array(pre[0 ..< h].map { $0 * 1.5 })
        var g = pre, cOut = [Float](repeating: 0, count: h), hOut = cOut, tanhC = cOut
        KernelInfo.force(level)
        defer { KernelInfo.force(nil) }
        g.withUnsafeMutableBufferPointer { gp in
            lstmCellForward(batch: 1, hidden: h, gates: gp.baseAddress!, cellIn: cIn, cellOut: &cOut, hiddenOut: &hOut, tanhCell: &tanhC)
        }
        let E = Elementwise.self
        var swift = [Float]()
        for j in 0 ..< h {
            let (i, f, gg, o) = (E.sigmoid(pre[j]), E.sigmoid(pre[h + j]), E.tanh(pre[2 * h + j]), E.sigmoid(pre[3 * h + j]))
            let c = f * cIn[j] + i * gg
            swift += [i, f, gg, o, c, E.tanh(c), o * E.tanh(c)]
        }
        var fromC = [Float]()
        for j in 0 ..< h { fromC += [g[j], g[h + j], g[2 * h + j], g[3 * h + j], cOut[j], tanhC[j], hOut[j]] }
        return (fromC, swift)
    }

    func testPortableCCellEqualsSwiftBitForBit() {
        let (c, swift) = cellBothWays(level: "portable", h: 1000)
        for k in c.indices where c[k].bitPattern != swift[k].bitPattern {
            XCTFail("element \(k): C \(c[k]) vs Swift \(swift[k])")
            return
        }
    }

    /// Stated tolerance: gate activations, tanh(c) and h within 2.5e-7 absolute (about 2 ulp of 1),
    /// c within 4 ulp of the larger of its two terms |f·c_in|, |i·g|: the differences come only
    /// from fused multiply-adds and from rounding x·log2e + ½ down instead of to nearest.
    func testAVX512CellAgreesWithSwift() throws {
        try XCTSkipUnless(KernelInfo.supports("avx512"), "this CPU has no AVX-512F: the AVX-512 cell cannot run here")
        let h = 1000
        let (c, swift) = cellBothWays(level: "avx512", h: h)
        let pre = gates(h)
        var worst = [Float](repeating: 0, count: 7)
        for k in c.indices {
            let kind = k % 7, j = k / 7
            var d = abs(c[k] - swift[k])
            if kind == 4 {
                let terms = max(abs(swift[7 * j + 1] * pre[j] * 1.5), abs(swift[7 * j] * swift[7 * j + 2]))
                d /= 4 * max(terms, 1e-30).ulp / 2.5e-7
            }
            worst[kind] = max(worst[kind], d)
        }
        for (kind, w) in zip(["i", "f", "g", "o", "c (scaled)", "tanh c", "h"], worst) {
            XCTAssertLessThanOrEqual(w, 2.5e-7, "\(kind): worst difference \(w)")
        }
    }
}
