// PackedWeightsTests: the packed small-M products against their plain-loop twins on odd shapes,
// both products (A·Wᵀ and G·W), every kernel path the CPU has, strides, accumulate, and threads.
import Foundation
import XCTest
@testable import Linalg

final class PackedWeightsTests: XCTestCase {
    /// Deterministic values in [-1, 1).
    private func values(_ count: Int, seed: UInt64) -> [Float] {
        var s = seed &* 6364136223846793005 &+ 1442695040888963407
        return (0..<count).map { _ in
            s = s &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(bitPattern: s >> 11) % 2_000_000) / 1_000_000 - 1
        }
    }

    private let shapes: [(m: Int, n: Int, k: Int)] = [
        (1, 1, 1), (1, 33, 5), (3, 100, 37), (8, 64, 32), (8, 95, 129), (13, 77, 130), (1, 4096, 1024 / 8),
        (8, 1030, 61), (17, 40, 300), (9, 256, 1),
    ]

    private func maxError(_ x: [Float], _ y: [Float]) -> Float {
        zip(x, y).map { abs($0 - $1) }.max() ?? 0
    }

    /// Every shape, both products, accumulate or not, against the plain loops. For bf16 the
    /// twins read the weights rounded to bf16: the products must then agree as closely as fp32
    /// ones do (only the weights are rounded; activations and sums stay fp32).
    private func checkAll(level: String?, threads: Int, precision: WeightPrecision = .fp32,
                          file: StaticString = #filePath, line: UInt = #line) {
        KernelInfo.force(level)
        defer { KernelInfo.force(nil) }
        for (index, shape) in shapes.enumerated() {
            let (m, n, k) = shape
            let exact = values(n * k, seed: UInt64(index) + 1)
            let w = exact.map(precision.rounded)
            let a = values(m * k, seed: UInt64(index) + 100)
            let g = values(m * n, seed: UInt64(index) + 200)
            let packed = PackedWeights(exact, rows: n, columns: k, precision: precision)
            let tolerance = Float(max(n, k)) * 2e-6 + 1e-5
            for accumulate in [false, true] {
                var c = values(m * n, seed: 7), cRef = c
                a.withUnsafeBufferPointer { ap in
                    c.withUnsafeMutableBufferPointer { cp in
                        packedMultiply(ap.baseAddress!, rows: m, packed, into: cp.baseAddress!, accumulate: accumulate, threads: threads)
                    }
                    w.withUnsafeBufferPointer { wp in
                        cRef.withUnsafeMutableBufferPointer { cp in
                            referenceMultiply(ap.baseAddress!, rows: m, wp.baseAddress!, n: n, k: k, into: cp.baseAddress!, accumulate: accumulate)
                        }
                    }
                }
                XCTAssertLessThan(maxError(c, cRef), tolerance, "A·Wᵀ \(shape) acc \(accumulate) \(level ?? "auto") t\(threads)", file: file, line: line)

                var d = values(m * k, seed: 9), dRef = d
                g.withUnsafeBufferPointer { gp in
                    d.withUnsafeMutableBufferPointer { dp in
                        packedMultiplyTransposed(gp.baseAddress!, rows: m, packed, into: dp.baseAddress!, accumulate: accumulate, threads: threads)
                    }
                    w.withUnsafeBufferPointer { wp in
                        dRef.withUnsafeMutableBufferPointer { dp in
                            referenceMultiplyTransposed(gp.baseAddress!, rows: m, wp.baseAddress!, n: n, k: k, into: dp.baseAddress!, accumulate: accumulate)
                        }
                    }
                }
                XCTAssertLessThan(maxError(d, dRef), tolerance, "G·W \(shape) acc \(accumulate) \(level ?? "auto") t\(threads)", file: file, line: line)
            }
        }
    }

    func testAutomaticPathOneThread() { checkAll(level: nil, threads: 1) }
    func testAutomaticPathTwoThreads() { checkAll(level: nil, threads: 2) }
    func testAVX512Path() throws {
        try XCTSkipUnless(KernelInfo.supports("avx512"), "this CPU has no AVX-512F: the AVX-512 kernels cannot run here")
        checkAll(level: "avx512", threads: 2)
    }
    func testAVX2Path() throws {
        try XCTSkipUnless(KernelInfo.supports("avx2"), "this CPU has no AVX2+FMA: the AVX2 kernels cannot run here")
        checkAll(level: "avx2", threads: 2)
    }
    func testPortablePath() { checkAll(level: "portable", threads: 2) }

    func testBF16AutomaticPathBothThreadCounts() {
        checkAll(level: nil, threads: 1, precision: .bf16)
        checkAll(level: nil, threads: 2, precision: .bf16)
    }
    func testBF16AVX512Path() throws {
        try XCTSkipUnless(KernelInfo.supports("avx512"), "this CPU has no AVX-512F/BW: the AVX-512 kernels cannot run here")
        checkAll(level: "avx512", threads: 2, precision: .bf16)
    }
    func testBF16AVX2Path() throws {
        try XCTSkipUnless(KernelInfo.supports("avx2"), "this CPU has no AVX2+FMA: the AVX2 kernels cannot run here")
        checkAll(level: "avx2", threads: 2, precision: .bf16)
    }
    func testBF16PortablePath() { checkAll(level: "portable", threads: 2, precision: .bf16) }

    /// Round to nearest, ties to even, as PyTorch's `.to(torch.bfloat16)`; specials preserved.
    func testBF16Rounding() {
        let r = WeightPrecision.bf16.rounded
        XCTAssertEqual(r(1), 1)
        XCTAssertEqual(r(-2.5), -2.5)
        XCTAssertEqual(r(1 + 0x1p-8), 1, "a tie goes to the even mantissa (down)")
        XCTAssertEqual(r(1 + 3 * 0x1p-8), 1 + 0x1p-6, "a tie goes to the even mantissa (up)")
        XCTAssertEqual(r(1 + 0x1p-8 + 0x1p-20), 1 + 0x1p-7, "above the tie rounds up")
        XCTAssertEqual(r(0.1), 0.10009765625)
        XCTAssertEqual(r(.infinity), .infinity)
        XCTAssertEqual(r(-.infinity), -.infinity)
        XCTAssertTrue(r(.nan).isNaN)
        XCTAssertEqual(r(.greatestFiniteMagnitude), .infinity, "the largest float rounds past bf16's largest")
        XCTAssertEqual(r(0x1p-130), 0x1p-130, "subnormals with few bits are exact")
        for x in values(1000, seed: 77) {
            XCTAssertLessThanOrEqual(abs(r(x) - x), abs(x) * 0x1p-8, "relative error at most 2⁻⁸ (unit roundoff of 8 significant bits)")
            XCTAssertEqual(WeightPrecision.fp32.rounded(x), x)
        }
    }

    /// The bf16 product reads half the bytes of the fp32 one, and differs from the exact fp32
    /// product by no more than the weights' rounding allows.
    func testBF16IsCloseToFP32AndHalfTheBytes() {
        let (m, n, k) = (8, 256, 128)
        let w = values(n * k, seed: 21), a = values(m * k, seed: 22)
        let p32 = PackedWeights(w, rows: n, columns: k), p16 = PackedWeights(w, rows: n, columns: k, precision: .bf16)
        XCTAssertEqual(p16.bytesPerProduct * 2, p32.bytesPerProduct)
        var c32 = [Float](repeating: 0, count: m * n), c16 = c32
        a.withUnsafeBufferPointer { ap in
            c32.withUnsafeMutableBufferPointer { packedMultiply(ap.baseAddress!, rows: m, p32, into: $0.baseAddress!, accumulate: false) }
            c16.withUnsafeMutableBufferPointer { packedMultiply(ap.baseAddress!, rows: m, p16, into: $0.baseAddress!, accumulate: false) }
        }
        for r in 0..<m {
            for j in 0..<n {
                var bound: Float = 0
                for kk in 0..<k { bound += abs(a[r * k + kk] * w[j * k + kk]) }
                XCTAssertLessThanOrEqual(abs(c16[r * n + j] - c32[r * n + j]), bound * 0x1p-8 + 1e-5)
            }
        }
        XCTAssertNotEqual(c16, c32, "bf16 weights must actually be rounded")
    }

    func testLevelIsReported() {
        XCTAssert(["avx512", "avx2", "portable"].contains(KernelInfo.level))
    }

    /// Rows inside a wider buffer (gates of step t inside [B, T, 4H]), and columns past the output
    /// left untouched.
    func testStridesLeaveOtherColumnsAlone() {
        let (m, n, k) = (5, 70, 45)
        let w = values(n * k, seed: 3), packed = PackedWeights(w, rows: n, columns: k)
        let lda = k + 11, ldc = n + 13
        let a = values(m * lda, seed: 4)
        var c = [Float](repeating: 42, count: m * ldc)
        a.withUnsafeBufferPointer { ap in
            c.withUnsafeMutableBufferPointer { cp in
                packedMultiply(ap.baseAddress!, rows: m, packed, into: cp.baseAddress!, accumulate: false, aStride: lda, cStride: ldc, threads: 2)
            }
        }
        for r in 0..<m {
            for j in 0..<ldc {
                if j >= n { XCTAssertEqual(c[r * ldc + j], 42); continue }
                var s: Float = 0
                for kk in 0..<k { s += a[r * lda + kk] * w[j * k + kk] }
                XCTAssertEqual(c[r * ldc + j], s, accuracy: 1e-4)
            }
        }
        // Backward with strides: D[m×k] rows of ldd, G rows of ldg.
        let ldg = n + 3, ldd = k + 5
        let g = values(m * ldg, seed: 5)
        var d = [Float](repeating: -7, count: m * ldd)
        g.withUnsafeBufferPointer { gp in
            d.withUnsafeMutableBufferPointer { dp in
                packedMultiplyTransposed(gp.baseAddress!, rows: m, packed, into: dp.baseAddress!, accumulate: true, gStride: ldg, dStride: ldd, threads: 1)
            }
        }
        for r in 0..<m {
            for kk in 0..<ldd {
                if kk >= k { XCTAssertEqual(d[r * ldd + kk], -7); continue }
                var s: Float = -7
                for j in 0..<n { s += g[r * ldg + j] * w[j * k + kk] }
                XCTAssertEqual(d[r * ldd + kk], s, accuracy: 1e-4)
            }
        }
    }

    func testRepackPicksUpNewWeights() {
        let (m, n, k) = (2, 40, 9)
        var w = values(n * k, seed: 11)
        var packed = PackedWeights(w, rows: n, columns: k, transposedProduct: false)
        for i in w.indices { w[i] *= 2 }
        packed.pack(from: w)
        let a = values(m * k, seed: 12)
        var c = [Float](repeating: 0, count: m * n), cRef = c
        a.withUnsafeBufferPointer { ap in
            c.withUnsafeMutableBufferPointer { packedMultiply(ap.baseAddress!, rows: m, packed, into: $0.baseAddress!, accumulate: false) }
            w.withUnsafeBufferPointer { wp in
                cRef.withUnsafeMutableBufferPointer { referenceMultiply(ap.baseAddress!, rows: m, wp.baseAddress!, n: n, k: k, into: $0.baseAddress!, accumulate: false) }
            }
        }
        XCTAssertLessThan(maxError(c, cRef), 1e-5)
    }

    func testZeroRowsIsANoOp() {
        let packed = PackedWeights(values(12, seed: 1), rows: 3, columns: 4)
        var c: [Float] = [5]
        let a: [Float] = [1]
        a.withUnsafeBufferPointer { ap in
            c.withUnsafeMutableBufferPointer { packedMultiply(ap.baseAddress!, rows: 0, packed, into: $0.baseAddress!, accumulate: false) }
        }
        XCTAssertEqual(c, [5])
    }
}

/// The fused cell against a Double-precision Foundation reference (the plain twin), on odd sizes,
/// in place and with strides, on every kernel path the CPU has.
final class LSTMCellTests: XCTestCase {
    private func sigmoid(_ x: Double) -> Double { 1 / (1 + Foundation.exp(-x)) }

    private func check(level: String?) {
        KernelInfo.force(level)
        defer { KernelInfo.force(nil) }
        for (b, h) in [(1, 1), (1, 7), (3, 17), (8, 33), (2, 100), (8, 1024)] {
            let ldg = 4 * h + 3, ldh = h + 2
            var seed: UInt64 = UInt64(b * 1000 + h)
            func next() -> Float {
                seed = seed &* 6364136223846793005 &+ 1442695040888963407
                let u = Float(seed >> 40) / Float(1 << 24)
                return (u - 0.5) * (seed & 1 == 0 ? 24 : 2)
            }
            let pre = (0..<(b * ldg)).map { _ in next() }
            let cIn = (0..<(b * h)).map { _ in next() }
            var gates = pre, cOut = cIn, hOut = [Float](repeating: 9, count: b * ldh), tanhC = [Float](repeating: 0, count: b * h)
            gates.withUnsafeMutableBufferPointer { g in
                cOut.withUnsafeMutableBufferPointer { c in
                    hOut.withUnsafeMutableBufferPointer { hp in
                        tanhC.withUnsafeMutableBufferPointer { t in
                            // in place: cellIn and cellOut are the same buffer
                            lstmCellForward(batch: b, hidden: h, gates: g.baseAddress!, gatesStride: ldg,
                                            cellIn: UnsafePointer(c.baseAddress!), cellOut: c.baseAddress!,
                                            hiddenOut: hp.baseAddress!, hiddenStride: ldh, tanhCell: t.baseAddress!)
                        }
                    }
                }
            }
            for r in 0..<b {
                for j in 0..<h {
                    let p = { (gate: Int) in Double(pre[r * ldg + gate * h + j]) }
                    let i = sigmoid(p(0)), f = sigmoid(p(1)), g = Foundation.tanh(p(2)), o = sigmoid(p(3))
                    let c = f * Double(cIn[r * h + j]) + i * g
                    let t = Foundation.tanh(c)
                    let tol = { (x: Double) in 1e-6 * max(1, abs(x)) }
                    XCTAssertEqual(Double(gates[r * ldg + j]), i, accuracy: tol(i))
                    XCTAssertEqual(Double(gates[r * ldg + h + j]), f, accuracy: tol(f))
                    XCTAssertEqual(Double(gates[r * ldg + 2 * h + j]), g, accuracy: tol(g))
                    XCTAssertEqual(Double(gates[r * ldg + 3 * h + j]), o, accuracy: tol(o))
                    XCTAssertEqual(Double(cOut[r * h + j]), c, accuracy: tol(c) * 4)
                    XCTAssertEqual(Double(tanhC[r * h + j]), t, accuracy: tol(t) * 4)
                    XCTAssertEqual(Double(hOut[r * ldh + j]), o * t, accuracy: tol(o * t) * 4)
                }
                for j in h..<ldh { XCTAssertEqual(hOut[r * ldh + j], 9) }
                for j in 4 * h..<ldg { XCTAssertEqual(gates[r * ldg + j], pre[r * ldg + j]) }
            }
        }
    }

    func testAutomaticPath() { check(level: nil) }
    func testPortablePath() { check(level: "portable") }
    func testAVX512Path() throws {
        try XCTSkipUnless(KernelInfo.supports("avx512"), "this CPU has no AVX-512F: the AVX-512 cell cannot run here")
        check(level: "avx512")
    }

    func testSaturatesWithoutNaN() {
        var gates: [Float] = [-1e30, 1e30, -.greatestFiniteMagnitude, .greatestFiniteMagnitude, 200, -200, 90, -90]
        var c: [Float] = [1e30, -1e30]
        var h: [Float] = [0, 0]
        for level in ["portable", "avx512"] where KernelInfo.supports(level) {
            KernelInfo.force(level)
            var g = gates
            g.withUnsafeMutableBufferPointer { gp in
                c.withUnsafeMutableBufferPointer { cp in
                    h.withUnsafeMutableBufferPointer { hp in
                        lstmCellForward(batch: 1, hidden: 2, gates: gp.baseAddress!, cellIn: UnsafePointer(cp.baseAddress!),
                                        cellOut: cp.baseAddress!, hiddenOut: hp.baseAddress!, tanhCell: nil)
                    }
                }
            }
            XCTAssert(g.allSatisfy { $0.isFinite && abs($0) <= 1 }, "\(level): \(g)")
            XCTAssert(h.allSatisfy { $0.isFinite }, "\(level): \(h)")
            gates[0] = -1e30
        }
        KernelInfo.force(nil)
    }

    func testNaNPropagates() {
        for level in ["portable", "avx512"] where KernelInfo.supports(level) {
            KernelInfo.force(level)
            var g: [Float] = [.nan, 0, 0, 0, 0, 0, .nan, 0]
            var c: [Float] = [0, 0]
            var h: [Float] = [0, 0]
            g.withUnsafeMutableBufferPointer { gp in
                c.withUnsafeMutableBufferPointer { cp in
                    h.withUnsafeMutableBufferPointer { hp in
                        lstmCellForward(batch: 1, hidden: 2, gates: gp.baseAddress!, cellIn: UnsafePointer(cp.baseAddress!),
                                        cellOut: cp.baseAddress!, hiddenOut: hp.baseAddress!, tanhCell: nil)
                    }
                }
            }
            XCTAssert(g[0].isNaN && g[6].isNaN && c[0].isNaN && h[0].isNaN, "\(level): \(g) \(c) \(h)")
            XCTAssertFalse(c[1].isNaN || h[1].isNaN)
        }
        KernelInfo.force(nil)
    }
}
