// The vectorised Adam update and gradient norm against their plain definitions.
import XCTest
@testable import CharModel
import Linalg

final class AdamKernelTests: XCTestCase {
    func testVectorisedUpdateIsBitIdenticalToThePlainLoop() {
        var rng = SeededGenerator(seed: 9)
        for count in [1, 7, 8, 9, 16, 17, 1003, 70_001, 200_000] {
            let g = (0 ..< count).map { _ in rng.uniform(-3, 3) }
            var (p1, m1, v1) = ((0 ..< count).map { _ in rng.uniform(-1, 1) }, (0 ..< count).map { _ in rng.uniform(-0.1, 0.1) },
                                (0 ..< count).map { _ in rng.uniform(0, 0.2) })
            var (p2, m2, v2) = (p1, m1, v1)
            for _ in 0 ..< 3 {
                Adam.update(p: &p1, m: &m1, v: &v1, g: g, count: count, b1: 0.9, b2: 0.999, eps: 1e-7, lrT: 5e-3)
                Adam.updateReference(p: &p2, m: &m2, v: &v2, g: g, count: count, b1: 0.9, b2: 0.999, eps: 1e-7, lrT: 5e-3)
            }
            XCTAssertEqual(p1.map(\.bitPattern), p2.map(\.bitPattern), "count \(count)")
            XCTAssertEqual(m1.map(\.bitPattern), m2.map(\.bitPattern))
            XCTAssertEqual(v1.map(\.bitPattern), v2.map(\.bitPattern))
        }
    }

    /// Every kernel path (AVX-512, portable) and thread count gives the plain loop's bits.
    func testEveryPathAndThreadCountIsBitIdentical() {
        var rng = SeededGenerator(seed: 5)
        let count = 150_001
        let g = (0 ..< count).map { _ in rng.uniform(-3, 3) }
        let p0 = (0 ..< count).map { _ in rng.uniform(-1, 1) }, m0 = (0 ..< count).map { _ in rng.uniform(-0.1, 0.1) }
        let v0 = (0 ..< count).map { _ in rng.uniform(0, 0.2) }
        var (pr, mr, vr) = (p0, m0, v0)
        Adam.updateReference(p: &pr, m: &mr, v: &vr, g: g, count: count, b1: 0.9, b2: 0.999, eps: 1e-7, lrT: 5e-3)
        for level in ["avx512", "avx2", "portable"] where KernelInfo.supports(level) {
            for threads in [1, 2] {
                KernelInfo.force(level)
                defer { KernelInfo.force(nil) }
                var (p, m, v) = (p0, m0, v0)
                p.withUnsafeMutableBufferPointer { pp in m.withUnsafeMutableBufferPointer { mp in v.withUnsafeMutableBufferPointer { vp in
                    AdamKernel.update(p: pp.baseAddress!, m: mp.baseAddress!, v: vp.baseAddress!, g: g, count: count,
                                      b1: 0.9, b2: 0.999, eps: 1e-7, lrT: 5e-3, threads: threads)
                } } }
                XCTAssertEqual(p.map(\.bitPattern), pr.map(\.bitPattern), "\(level), \(threads) threads")
                XCTAssertEqual(v.map(\.bitPattern), vr.map(\.bitPattern), "\(level), \(threads) threads")
            }
        }
    }

    func testGlobalNormMatchesTheSumOfSquares() {
        var rng = SeededGenerator(seed: 4)
        for count in [0, 1, 5, 8, 17, 100_001] {
            let g = (0 ..< count).map { _ in rng.uniform(-2, 2) }
            let plain = Float(g.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot())
            XCTAssertEqual(GradientClipping.globalNorm(g), plain, accuracy: plain * 1e-6, "count \(count)")
        }
        XCTAssertTrue(GradientClipping.globalNorm([1, .nan, 2]).isNaN)
        XCTAssertEqual(GradientClipping.globalNorm([3, 4]), 5)
    }
}
