// Every BLAS wrapper against its plain-loop twin on odd shapes, every transpose combination,
// padded leading dimensions and several alpha/beta pairs.
import XCTest
@testable import Linalg

final class BLASTwinTests: XCTestCase {
    /// Deterministic values in [-1, 1) without any RNG dependency.
    func values(_ n: Int, seed: Int) -> [Float] {
        var s = UInt64(truncatingIfNeeded: seed &* 2654435761 &+ 12345)
        return (0 ..< n).map { _ in
            s = s &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int((s >> 40) % 2000) - 1000) / 1000
        }
    }

    func assertClose(_ a: [Float], _ b: [Float], _ msg: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, msg, file: file, line: line)
        for i in 0 ..< min(a.count, b.count) {
            let tol: Float = 1e-4 * max(1, abs(b[i]))
            if !(abs(a[i] - b[i]) <= tol) {
                XCTFail("\(msg): [\(i)] \(a[i]) vs \(b[i])", file: file, line: line)
                return
            }
        }
    }

    func testSgemmMatchesTwinOnOddShapesAllTransposes() {
        let shapes = [(1, 1, 1), (3, 5, 7), (17, 33, 9), (8, 1, 13), (1, 19, 4), (2, 3, 0)]
        let scalars: [(Float, Float)] = [(1, 0), (0.5, 1), (-1.5, 0.25), (0, 2)]
        for (m, n, k) in shapes {
            for ta in [Transpose.none, .transpose] {
                for tb in [Transpose.none, .transpose] {
                    for pad in [0, 3] {
                        let (ar, ac) = ta == .none ? (m, k) : (k, m)
                        let (br, bc) = tb == .none ? (k, n) : (n, k)
                        let lda = max(1, ac) + pad, ldb = max(1, bc) + pad, ldc = max(1, n) + pad
                        let a = values(max(1, ar * lda), seed: m * 7 + k)
                        let b = values(max(1, br * ldb), seed: n * 11 + k)
                        for (alpha, beta) in scalars {
                            let c0 = values(max(1, m * ldc), seed: m + n)
                            var c1 = c0, c2 = c0
                            BLAS.sgemm(ta, tb, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: &c1, ldc: ldc)
                            Reference.sgemm(ta, tb, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: &c2, ldc: ldc)
                            assertClose(c1, c2, "sgemm \(m)x\(n)x\(k) \(ta) \(tb) pad \(pad) a\(alpha) b\(beta)")
                        }
                    }
                }
            }
        }
    }

    func testSgemmBetaZeroIgnoresNaNInOutput() {
        let a: [Float] = [1, 2, 3, 4], b: [Float] = [1, 0, 0, 1]
        var c1 = [Float](repeating: .nan, count: 4), c2 = c1
        BLAS.sgemm(.none, .none, m: 2, n: 2, k: 2, alpha: 1, a: a, lda: 2, b: b, ldb: 2, beta: 0, c: &c1, ldc: 2)
        Reference.sgemm(.none, .none, m: 2, n: 2, k: 2, alpha: 1, a: a, lda: 2, b: b, ldb: 2, beta: 0, c: &c2, ldc: 2)
        XCTAssertEqual(c1, [1, 2, 3, 4])
        XCTAssertEqual(c2, [1, 2, 3, 4])
    }

    func testSgemvMatchesTwinBothTransposes() {
        for (m, n) in [(1, 1), (3, 5), (17, 33), (33, 1), (1, 9)] {
            for t in [Transpose.none, .transpose] {
                for pad in [0, 2] {
                    let lda = n + pad
                    let a = values(m * lda, seed: m * n)
                    let x = values(t == .none ? n : m, seed: 3)
                    let y0 = values(t == .none ? m : n, seed: 4)
                    for (alpha, beta) in [(Float(1), Float(0)), (0.5, 1), (-2, 0.25)] {
                        var y1 = y0, y2 = y0
                        BLAS.sgemv(t, m: m, n: n, alpha: alpha, a: a, lda: lda, x: x, beta: beta, y: &y1)
                        Reference.sgemv(t, m: m, n: n, alpha: alpha, a: a, lda: lda, x: x, beta: beta, y: &y2)
                        assertClose(y1, y2, "sgemv \(m)x\(n) \(t) pad \(pad)")
                    }
                }
            }
        }
    }
}
