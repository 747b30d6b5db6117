// CharLSTM+Step: the per-time-step pieces of a layer, each a kernel choice between the fast
// path (packed W_hh products and the C cell of Linalg/CKernels) and the reference path
// (OpenBLAS products and the Swift cell below). Both compute the same function; tests compare them.
import Linalg

extension CharLSTM {
    /// gates[B, 4H] += h[B, H]·W_hhᵀ of layer l (W_hh stored [4H, H]): the one product of the
    /// forward time loop. Packed kernel, or OpenBLAS (gemv when B = 1).
    @inline(__always)
    func recurrentForward(_ l: Int, _ p: UnsafePointer<Float>, h: UnsafePointer<Float>, gates: UnsafeMutablePointer<Float>, batch B: Int) {
        let H = shape.hiddenSize
        if usesPackedKernels {
            packedMultiply(h, rows: B, recurrentPacks[l], into: gates, accumulate: true, threads: kernelThreads)
        } else if B == 1 {
            BLAS.sgemv(.none, m: 4 * H, n: H, alpha: 1, a: p + offsets.layers[l].whh, lda: H, x: h, beta: 1, y: gates)
        } else {
            BLAS.sgemm(.none, .transpose, m: B, n: 4 * H, k: H, alpha: 1, a: h, lda: H, b: p + offsets.layers[l].whh, ldb: H,
                       beta: 1, c: gates, ldc: 4 * H)
        }
    }

    /// dh[B, H] = dGates[B, 4H]·W_hh of layer l (overwrites dh): the one product of the backward
    /// time loop. Packed kernel, or OpenBLAS (gemv when B = 1).
    @inline(__always)
    func recurrentBackward(_ l: Int, _ p: UnsafePointer<Float>, dGates: UnsafePointer<Float>, dh: UnsafeMutablePointer<Float>, batch B: Int) {
        let H = shape.hiddenSize
        if usesPackedKernels {
            packedMultiplyTransposed(dGates, rows: B, recurrentPacks[l], into: dh, accumulate: false, threads: kernelThreads)
        } else if B == 1 {
            BLAS.sgemv(.transpose, m: 4 * H, n: H, alpha: 1, a: p + offsets.layers[l].whh, lda: H, x: dGates, beta: 0, y: dh)
        } else {
            BLAS.sgemm(.none, .none, m: B, n: H, k: 4 * H, alpha: 1, a: dGates, lda: 4 * H, b: p + offsets.layers[l].whh, ldb: H,
                       beta: 0, c: dh, ldc: H)
        }
    }

    /// The cell for one step of B rows (see `cellForward`): the C kernel (AVX-512 when the CPU
    /// has it) on the fast path, the Swift cell on the reference path. Same formulas.
    @inline(__always)
    func cellForwardStep(gates: UnsafeMutablePointer<Float>, cPrev: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>,
                         tanhC: UnsafeMutablePointer<Float>, h: UnsafeMutablePointer<Float>, batch B: Int) {
        let H = shape.hiddenSize
        if usesPackedKernels {
            lstmCellForward(batch: B, hidden: H, gates: gates, cellIn: cPrev, cellOut: c, hiddenOut: h, tanhCell: tanhC)
        } else {
            cellForward(gates: gates, cPrev: cPrev, c: c, tanhC: tanhC, h: h, batch: B, hidden: H)
        }
    }
}

// MARK: - The Swift cell, forward and backward

/// One LSTM cell step for B rows, in place. On entry `gates` [B, 4H] holds pre-activations; on
/// exit the activations i, f, o = σ(·), g = tanh(·). Reads cPrev [B, H]; writes c' = f⊙c + i⊙g,
/// tanh(c') and h' = o⊙tanh(c') [B, H]. `c` may be `cPrev`. Eight lanes at a time, then a scalar
/// tail with identical arithmetic (the scalar functions are lane 0 of the eight-lane ones).
/// The same formulas as the C cell's portable path, so the two agree bit for bit.
@inline(__always)
func cellForward(gates: UnsafeMutablePointer<Float>, cPrev: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>,
                 tanhC: UnsafeMutablePointer<Float>, h: UnsafeMutablePointer<Float>, batch B: Int, hidden H: Int) {
    typealias EW = Elementwise
    for r in 0 ..< B {
        let g4 = gates + r * 4 * H
        let row = r * H
        var j = 0
        while j + 8 <= H {
            let i = EW.sigmoid(EW.load8(g4 + j))
            let f = EW.sigmoid(EW.load8(g4 + H + j))
            let g = EW.tanh(EW.load8(g4 + 2 * H + j))
            let o = EW.sigmoid(EW.load8(g4 + 3 * H + j))
            EW.store8(i, g4 + j); EW.store8(f, g4 + H + j); EW.store8(g, g4 + 2 * H + j); EW.store8(o, g4 + 3 * H + j)
            let cNew = f * EW.load8(cPrev + row + j) + i * g
            let tc = EW.tanh(cNew)
            EW.store8(cNew, c + row + j)
            EW.store8(tc, tanhC + row + j)
            EW.store8(o * tc, h + row + j)
            j += 8
        }
        while j < H {
            let i = EW.sigmoid(g4[j])
            let f = EW.sigmoid(g4[H + j])
            let g = EW.tanh(g4[2 * H + j])
            let o = EW.sigmoid(g4[3 * H + j])
            g4[j] = i; g4[H + j] = f; g4[2 * H + j] = g; g4[3 * H + j] = o
            let cNew = f * cPrev[row + j] + i * g
            let tc = EW.tanh(cNew)
            c[row + j] = cNew
            tanhC[row + j] = tc
            h[row + j] = o * tc
            j += 1
        }
    }
}

/// Backward of `cellForward` for B rows. `dh` is the total gradient reaching h' (from above
/// and from the next step); `dc` on entry the gradient reaching c' from the next step, on exit
/// the gradient reaching cPrev. Writes pre-activation gate gradients dGates [B, 4H] (i, f, g, o).
/// Both paths use it: it reads only the cached activations.
@inline(__always)
func cellBackward(gates: UnsafePointer<Float>, cPrev: UnsafePointer<Float>, tanhC: UnsafePointer<Float>,
                  dh: UnsafePointer<Float>, dc: UnsafeMutablePointer<Float>, dGates: UnsafeMutablePointer<Float>,
                  batch B: Int, hidden H: Int) {
    typealias EW = Elementwise
    for r in 0 ..< B {
        let g4 = gates + r * 4 * H
        let d4 = dGates + r * 4 * H
        let row = r * H
        var j = 0
        while j + 8 <= H {
            let i = EW.load8(g4 + j), f = EW.load8(g4 + H + j), g = EW.load8(g4 + 2 * H + j), o = EW.load8(g4 + 3 * H + j)
            let tc = EW.load8(tanhC + row + j)
            let dhj = EW.load8(dh + row + j)
            let dcj = EW.load8(dc + row + j) + dhj * o * (1 - tc * tc)
            EW.store8(dcj * g * i * (1 - i), d4 + j)
            EW.store8(dcj * EW.load8(cPrev + row + j) * f * (1 - f), d4 + H + j)
            EW.store8(dcj * i * (1 - g * g), d4 + 2 * H + j)
            EW.store8(dhj * tc * o * (1 - o), d4 + 3 * H + j)
            EW.store8(dcj * f, dc + row + j)
            j += 8
        }
        while j < H {
            let i = g4[j], f = g4[H + j], g = g4[2 * H + j], o = g4[3 * H + j]
            let tc = tanhC[row + j]
            let dhj = dh[row + j]
            let dcj = dc[row + j] + dhj * o * (1 - tc * tc)
            d4[j] = dcj * g * i * (1 - i)
            d4[H + j] = dcj * cPrev[row + j] * f * (1 - f)
            d4[2 * H + j] = dcj * i * (1 - g * g)
            d4[3 * H + j] = dhj * tc * o * (1 - o)
            dc[row + j] = dcj * f
            j += 1
        }
    }
}
