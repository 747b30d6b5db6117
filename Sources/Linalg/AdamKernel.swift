// AdamKernel: CKernels' Adam update (AVX-512 when the CPU has it, both cores for large buffers),
// for CharModel's optimizer. Bit-identical to the plain loop it replaces; CharModel's tests
// compare it with `Adam.updateReference`.
import CKernels

public enum AdamKernel {
    /// One Adam update of `count` parameters in place: m = b1·m + (1−b1)·g,
    /// v = b2·v + ((1−b2)·g)·g, p −= (lrT·m) / (√v + eps), each element computed exactly so.
    /// `threads` 2 splits the buffer in two halves (only when it is large: ≥ 64 Ki floats).
    public static func update(p: UnsafeMutablePointer<Float>, m: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>,
                              g: UnsafePointer<Float>, count: Int, b1: Float, b2: Float, eps: Float, lrT: Float,
                              threads: Int = PackedWeights.defaultThreads) {
        precondition(count >= 0)
        var hyper = tg_adam_t(b1: b1, b2: b2, eps: eps, lr: lrT)
        tg_adam_update(p, m, v, g, count, &hyper, Int32(threads))
    }
}

extension AdamKernel {
    /// The same update of W [`packs.rows`, `packs.columns`] at `p` (row-major, with its m, v, g),
    /// fused with repacking `packs` from the result: W is packed 32 rows at a time while they are
    /// still in cache, instead of being read again by `PackedWeights.pack(from:)` afterwards.
    /// Leaves exactly what the update followed by `pack(from: p)` leaves.
    public static func update(p: UnsafeMutablePointer<Float>, m: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>,
                              g: UnsafePointer<Float>, b1: Float, b2: Float, eps: Float, lrT: Float,
                              packing packs: inout PackedWeights, threads: Int = PackedWeights.defaultThreads) {
        var hyper = tg_adam_t(b1: b1, b2: b2, eps: eps, lr: lrT)
        let (n, k) = (Int32(packs.rows), Int32(packs.columns))
        packs.withMutablePanels { forward, backward, bf16 in
            tg_adam_update_packed(p, m, v, g, n, k, &hyper, forward, backward, bf16, Int32(threads))
        }
    }
}
