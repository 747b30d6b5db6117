// KernelBenchmark: GFLOP/s of the packed per-time-step products on the ref/a/b shapes, 1 and 2
// threads, next to OpenBLAS figures measured in the kernel lab (OpenBLAS is not called here).
// Build with -c release; figures on the shared 2-core machines drift ±25% between runs.

/// Times the packed products of `PackedWeights.swift`.
public enum KernelBenchmark {
    /// One line per shape and thread count: forward (A·Wᵀ) and backward (G·W) GFLOP/s and ms per call,
    /// plus repacking time. Takes a few seconds.
    public static func run() -> String {
        let shapes: [(name: String, m: Int, n: Int, k: Int, blas: String)] = [
            ("ref step  8×1024·(4096×1024)ᵀ", 8, 4096, 1024, "OpenBLAS fwd/bwd GF/s, 1 thr: 42–50 / 35–54; 2 thr: 24–57 / 19–47"),
            ("a step   32×256·(1024×256)ᵀ", 32, 1024, 256, "OpenBLAS 1 thr: 88 / 99; 2 thr: 163 / 176"),
            ("b step   16×512·(2048×512)ᵀ", 16, 2048, 512, "OpenBLAS 1 thr: 70 / 85; 2 thr: 126 / 153"),
            ("ref gemv  1×1024·(4096×1024)ᵀ", 1, 4096, 1024, "OpenBLAS sgemv 1 thr: 35–37; 2 thr: 75–77"),
            ("a gemv    1×256·(1024×256)ᵀ", 1, 1024, 256, "OpenBLAS sgemv 1 thr: 39; 2 thr: 81"),
            ("b gemv    1×512·(2048×512)ᵀ", 1, 2048, 512, "OpenBLAS sgemv 1 thr: 38; 2 thr: 74"),
        ]
        var out = "packed kernels (\(KernelInfo.level)), best of 7 timings; GFLOP/s and ms per call\n"
        for shape in shapes {
            let (m, n, k) = (shape.m, shape.n, shape.k)
            var w = [Float](repeating: 0, count: n * k)
            for i in w.indices { w[i] = Float(i % 97) * 0.001 - 0.05 }
            var packed = PackedWeights(rows: n, columns: k)
            let packSeconds = best(of: 3) { packed.pack(from: w) }
            let a = [Float](repeating: 0.01, count: m * max(n, k))
            var c = [Float](repeating: 0, count: m * max(n, k))
            let flops = 2.0 * Double(m * n * k)
            let calls = max(1, Int(2e8 / flops))
            out += "\(shape.name)  (pack \(format(packSeconds * 1e3, 2)) ms)\n"
            for threads in [1, 2] {
                let forward = best(of: 7) {
                    a.withUnsafeBufferPointer { ap in
                        c.withUnsafeMutableBufferPointer { cp in
                            for _ in 0..<calls {
                                packedMultiply(ap.baseAddress!, rows: m, packed, into: cp.baseAddress!, accumulate: true, threads: threads)
                            }
                        }
                    }
                } / Double(calls)
                let backward = best(of: 7) {
                    a.withUnsafeBufferPointer { ap in
                        c.withUnsafeMutableBufferPointer { cp in
                            for _ in 0..<calls {
                                packedMultiplyTransposed(ap.baseAddress!, rows: m, packed, into: cp.baseAddress!, accumulate: false, threads: threads)
                            }
                        }
                    }
                } / Double(calls)
                out += "  \(threads) thr  fwd \(format(flops / forward / 1e9, 1)) GF/s \(format(forward * 1e3, 3)) ms"
                out += "  bwd \(format(flops / backward / 1e9, 1)) GF/s \(format(backward * 1e3, 3)) ms\n"
            }
            out += "  (\(shape.blas))\n"
        }
        for (name, b, h) in [("ref", 8, 1024), ("a", 32, 256), ("b", 16, 512)] {
            var gates = [Float](repeating: 0, count: b * 4 * h), c = [Float](repeating: 0, count: b * h)
            var hidden = c, tanhC = c
            let template = (0..<(b * 4 * h)).map { Float($0 % 200 - 100) * 0.03 }
            let calls = 200
            let seconds = best(of: 7) {
                gates.withUnsafeMutableBufferPointer { g in
                    c.withUnsafeMutableBufferPointer { cp in
                        hidden.withUnsafeMutableBufferPointer { hp in
                            tanhC.withUnsafeMutableBufferPointer { t in
                                for _ in 0..<calls {
                                    template.withUnsafeBufferPointer { g.baseAddress!.update(from: $0.baseAddress!, count: $0.count) }
                                    lstmCellForward(batch: b, hidden: h, gates: g.baseAddress!, cellIn: UnsafePointer(cp.baseAddress!),
                                                    cellOut: cp.baseAddress!, hiddenOut: hp.baseAddress!, tanhCell: t.baseAddress!)
                                }
                            }
                        }
                    }
                }
            } / Double(calls)
            out += "lstmCellForward \(name) B=\(b) H=\(h): \(format(seconds * 1e6, 1)) µs per step (incl. copying the gates in)\n"
        }
        return out
    }

    private static func best(of count: Int, _ body: () -> Void) -> Double {
        let clock = ContinuousClock()
        var bestSeconds = Double.infinity
        for _ in 0..<count {
            let d = clock.measure(body)
            let seconds = Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
            bestSeconds = min(bestSeconds, seconds)
        }
        return bestSeconds
    }

    /// x ≥ 0 with `decimals` digits after the point (no Foundation, no libm).
    private static func format(_ x: Double, _ decimals: Int) -> String {
        var scale = 1
        for _ in 0..<decimals { scale *= 10 }
        let n = Int(x * Double(scale) + 0.5)
        let fraction = String(n % scale)
        return decimals == 0 ? "\(n)" : "\(n / scale)." + String(repeating: "0", count: decimals - fraction.count) + fraction
    }
}
