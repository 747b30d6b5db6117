// CharLSTM: Embedding(V,E) → L stacked LSTM layers of H units → Linear(H,V), with exact
// gradients by backpropagation through time. Forward and backward sit side by side.
//
// Shapes (fixed letters): B batch streams, T time steps, V vocabulary, E embedding width,
// H hidden units, L layers. Gates in every 4H block are ordered i, f, g, o (PyTorch's):
//   gates = x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh,   i,f,o = σ(·), g = tanh(·)
//   c' = f⊙c + i⊙g,   h' = o⊙tanh(c')
// Inside the model, activations are time-major: row t·B + b is stream b at step t, so each
// step's B rows are contiguous. Work that does not depend on the previous step (input
// projection of all T·B positions, output layer, every weight gradient) is one GEMM each,
// outside the time loop; only h·W_hhᵀ (forward) and dGates·W_hh (backward) run per step.
//
// Two paths compute the same function (tests compare them):
// - the fast path (default): W_hh packed per layer for the small-M kernels of Linalg
//   (`packedMultiply` forward, `packedMultiplyTransposed` backward, fused `lstmCellForward`), and
//   layer 0's input projection read from a table [V, 4H] = embedding·W_ih0ᵀ + b_ih0 + b_hh0
//   (one row per token: a gather instead of a GEMM, and no W_ih read per sampled character);
// - the reference path (`usesPackedKernels = false`): OpenBLAS per-step products
//   (`recurrentStep`/`recurrentStepBackward`), the Swift cell and the input-projection GEMM.
// The packs and the table are derived from `parameters` and rebuilt by its `didSet`, so they
// cannot be stale: every write to `parameters` (Adam's in-place update, `Trainer.restore`, a test
// nudging one weight) repacks before the next product can run.
import Foundation
import Linalg

/// The model: its shape, layout and all parameters in one flat buffer (PyTorch state_dict order).
public struct CharLSTM: Sendable {
    public let shape: ModelShape
    public let layout: ParameterLayout
    /// Every parameter, `layout.count` floats; tensor `name` lives at `layout[name]!.range`.
    /// Every write (the whole array, one element, or one `withUnsafeMutableBufferPointer` call)
    /// rebuilds the packed W_hh and the input table (ref: a few ms): for bulk changes assign the
    /// whole array or write through one buffer-pointer call, not element by element in a loop.
    public var parameters: [Float] {
        didSet { refreshDerived() }
    }
    /// Threads for the sequential per-step products of the fast path: 1, or 2 to split each
    /// product's output columns with the kernels' persistent worker (nil: 2 when the machine has
    /// at least 2 processors). Results are bit-identical for any setting (each output element is
    /// computed by one thread, in one order). The reference path uses it as OpenBLAS's thread
    /// count inside the time loop. Large products outside the time loop use OpenBLAS's setting.
    public var recurrentThreads: Int? = nil
    /// True (default): packed kernels, fused cell and input table. False: the reference path
    /// (OpenBLAS per-step products, Swift cell, input GEMM) — for tests and comparisons.
    public var usesPackedKernels = true
    let offsets: Offsets
    /// Derived from `parameters` (see `refreshDerived`): per layer, W_hh [4H, H] packed for both
    /// per-step products.
    private(set) var recurrentPacks: [PackedWeights]
    /// Derived from `parameters`: [V, 4H], row v = embedding[v]·W_ih0ᵀ + b_ih0 + b_hh0.
    private(set) var inputTable: [Float]

    /// Threads the per-step kernels use.
    var kernelThreads: Int { max(1, min(2, recurrentThreads ?? PackedWeights.defaultThreads)) }

    /// A model with the given parameters (`layout.count` floats, state_dict order).
    public init(shape: ModelShape, parameters: [Float]) {
        let layout = ParameterLayout(shape)
        precondition(parameters.count == layout.count, "CharLSTM: \(parameters.count) parameters, layout needs \(layout.count)")
        self.shape = shape
        self.layout = layout
        self.parameters = parameters
        self.offsets = Offsets(layout)
        let hd = shape.hiddenSize
        recurrentPacks = (0 ..< shape.layers).map { _ in PackedWeights(rows: 4 * hd, columns: hd, transposedProduct: true) }
        inputTable = [Float](repeating: 0, count: shape.vocabularySize * 4 * hd)
        refreshDerived()
    }

    /// Rebuilds everything derived from `parameters`: the packed W_hh of every layer and the
    /// layer-0 input table. Runs on every write to `parameters`; costs about one or two per-step
    /// products per layer plus a V×E×4H product (ref: ~2–5 ms, small next to a training step).
    private mutating func refreshDerived() {
        precondition(parameters.count == layout.count, "CharLSTM: \(parameters.count) parameters, layout needs \(layout.count)")
        let (v, e, hd) = (shape.vocabularySize, shape.embeddingSize, shape.hiddenSize)
        let offsets = self.offsets
        parameters.withUnsafeBufferPointer { pbuf in
            let p = pbuf.baseAddress!
            for l in 0 ..< shape.layers { recurrentPacks[l].pack(from: p + offsets.layers[l].whh) }
            let o = offsets.layers[0]
            inputTable.withUnsafeMutableBufferPointer { tbuf in
                let t = tbuf.baseAddress!
                BLAS.sgemm(.none, .transpose, m: v, n: 4 * hd, k: e, alpha: 1, a: p + offsets.embedding, lda: e,
                           b: p + o.wih, ldb: e, beta: 0, c: t, ldc: 4 * hd)
                for r in 0 ..< v {
                    let row = t + r * 4 * hd
                    for j in 0 ..< 4 * hd { row[j] += p[o.bih + j] + p[o.bhh + j] }
                }
            }
        }
    }

    /// A freshly initialised model, drawn from `rng` the way the reference (Keras defaults,
    /// `keras_like_init` in bench/common.py) draws it: embedding U(−0.05, 0.05); every LSTM
    /// kernel and the dense kernel Glorot-uniform U(±√(6/(fan_in+fan_out))) with fan_in the
    /// input width and fan_out 4H (V for the dense layer); bias_ih zero except the forget
    /// block (f, rows H..<2H) = 1; bias_hh zero; fc.bias zero. Draw order = layout order.
    public init(shape: ModelShape, rng: inout SeededGenerator) {
        let layout = ParameterLayout(shape)
        var p = [Float](repeating: 0, count: layout.count)
        let (v, e, h) = (shape.vocabularySize, shape.embeddingSize, shape.hiddenSize)
        func fill(_ name: String, _ limit: Float) {
            for i in layout[name]!.range { p[i] = rng.uniform(-limit, limit) }
        }
        fill("embedding.weight", 0.05)
        for k in 0 ..< shape.layers {
            let input = k == 0 ? e : h
            fill("lstm.weight_ih_l\(k)", (6 / Float(input + 4 * h)).squareRoot())
            fill("lstm.weight_hh_l\(k)", (6 / Float(h + 4 * h)).squareRoot())
            let bias = layout["lstm.bias_ih_l\(k)"]!.offset
            for j in h ..< 2 * h { p[bias + j] = 1 }
        }
        fill("fc.weight", (6 / Float(h + v)).squareRoot())
        self.init(shape: shape, parameters: p)
    }

    /// Offsets of each tensor in the flat buffer, looked up once.
    struct Offsets: Sendable {
        struct Layer: Sendable { var wih, whh, bih, bhh, input: Int }
        var embedding: Int
        var layers: [Layer]
        var fcWeight: Int
        var fcBias: Int

        init(_ layout: ParameterLayout) {
            let s = layout.shape
            embedding = layout["embedding.weight"]!.offset
            layers = (0 ..< s.layers).map { k in
                Layer(wih: layout["lstm.weight_ih_l\(k)"]!.offset, whh: layout["lstm.weight_hh_l\(k)"]!.offset,
                      bih: layout["lstm.bias_ih_l\(k)"]!.offset, bhh: layout["lstm.bias_hh_l\(k)"]!.offset,
                      input: k == 0 ? s.embeddingSize : s.hiddenSize)
            }
            fcWeight = layout["fc.weight"]!.offset
            fcBias = layout["fc.bias"]!.offset
        }
    }
}

// MARK: - The two per-step products (the only sequential GEMMs)

/// gates[B,4H] += h[B,H] · W_hhᵀ, with W_hh stored [4H,H]. The one product of the forward
/// time loop; a faster small-B kernel can replace the body without touching callers.
@inline(__always)
func recurrentStep(h: UnsafePointer<Float>, whh: UnsafePointer<Float>, gates: UnsafeMutablePointer<Float>, batch b: Int, hidden hd: Int) {
    if b == 1 {
        BLAS.sgemv(.none, m: 4 * hd, n: hd, alpha: 1, a: whh, lda: hd, x: h, beta: 1, y: gates)
    } else {
        BLAS.sgemm(.none, .transpose, m: b, n: 4 * hd, k: hd, alpha: 1, a: h, lda: hd, b: whh, ldb: hd, beta: 1, c: gates, ldc: 4 * hd)
    }
}

/// dh[B,H] = dGates[B,4H] · W_hh (overwrites dh). The one product of the backward time loop.
@inline(__always)
func recurrentStepBackward(dGates: UnsafePointer<Float>, whh: UnsafePointer<Float>, dh: UnsafeMutablePointer<Float>, batch b: Int, hidden hd: Int) {
    if b == 1 {
        BLAS.sgemv(.transpose, m: 4 * hd, n: hd, alpha: 1, a: whh, lda: hd, x: dGates, beta: 0, y: dh)
    } else {
        BLAS.sgemm(.none, .none, m: b, n: hd, k: 4 * hd, alpha: 1, a: dGates, lda: 4 * hd, b: whh, ldb: hd, beta: 0, c: dh, ldc: hd)
    }
}

// MARK: - The cell (elementwise), forward and backward

/// One LSTM cell step for B rows, in place. On entry `gates` [B,4H] holds pre-activations; on
/// exit the activations (i, f, g, o). Reads cPrev [B,H]; writes c, tanhC, h [B,H]. `c` may be
/// `cPrev` and `h` may alias nothing else (the sampler updates c in place). Eight lanes at a
/// time, then a scalar tail with identical arithmetic.
@inline(__always)
func cellForward(gates: UnsafeMutablePointer<Float>, cPrev: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>,
                 tanhC: UnsafeMutablePointer<Float>, h: UnsafeMutablePointer<Float>, batch b: Int, hidden hd: Int) {
    typealias E = Elementwise
    for r in 0 ..< b {
        let g4 = gates + r * 4 * hd
        let row = r * hd
        var j = 0
        while j + 8 <= hd {
            let i = E.sigmoid(E.load8(g4 + j))
            let f = E.sigmoid(E.load8(g4 + hd + j))
            let g = E.tanh(E.load8(g4 + 2 * hd + j))
            let o = E.sigmoid(E.load8(g4 + 3 * hd + j))
            E.store8(i, g4 + j); E.store8(f, g4 + hd + j); E.store8(g, g4 + 2 * hd + j); E.store8(o, g4 + 3 * hd + j)
            let cNew = f * E.load8(cPrev + row + j) + i * g
            let tc = E.tanh(cNew)
            E.store8(cNew, c + row + j)
            E.store8(tc, tanhC + row + j)
            E.store8(o * tc, h + row + j)
            j += 8
        }
        while j < hd {
            let i = E.sigmoid(g4[j])
            let f = E.sigmoid(g4[hd + j])
            let g = E.tanh(g4[2 * hd + j])
            let o = E.sigmoid(g4[3 * hd + j])
            g4[j] = i; g4[hd + j] = f; g4[2 * hd + j] = g; g4[3 * hd + j] = o
            let cNew = f * cPrev[row + j] + i * g
            let tc = E.tanh(cNew)
            c[row + j] = cNew
            tanhC[row + j] = tc
            h[row + j] = o * tc
            j += 1
        }
    }
}

/// Backward of `cellForward` for B rows. `dh` is the total gradient reaching h' (from above
/// and from the next step); `dc` on entry the gradient reaching c' from the next step, on exit
/// the gradient reaching cPrev. Writes pre-activation gate gradients dGates [B,4H] (i, f, g, o).
@inline(__always)
func cellBackward(gates: UnsafePointer<Float>, cPrev: UnsafePointer<Float>, tanhC: UnsafePointer<Float>,
                  dh: UnsafePointer<Float>, dc: UnsafeMutablePointer<Float>, dGates: UnsafeMutablePointer<Float>,
                  batch b: Int, hidden hd: Int) {
    typealias E = Elementwise
    for r in 0 ..< b {
        let g4 = gates + r * 4 * hd
        let d4 = dGates + r * 4 * hd
        let row = r * hd
        var j = 0
        while j + 8 <= hd {
            let i = E.load8(g4 + j), f = E.load8(g4 + hd + j), g = E.load8(g4 + 2 * hd + j), o = E.load8(g4 + 3 * hd + j)
            let tc = E.load8(tanhC + row + j)
            let dhj = E.load8(dh + row + j)
            let dcj = E.load8(dc + row + j) + dhj * o * (1 - tc * tc)
            E.store8(dcj * g * i * (1 - i), d4 + j)
            E.store8(dcj * E.load8(cPrev + row + j) * f * (1 - f), d4 + hd + j)
            E.store8(dcj * i * (1 - g * g), d4 + 2 * hd + j)
            E.store8(dhj * tc * o * (1 - o), d4 + 3 * hd + j)
            E.store8(dcj * f, dc + row + j)
            j += 8
        }
        while j < hd {
            let i = g4[j], f = g4[hd + j], g = g4[2 * hd + j], o = g4[3 * hd + j]
            let tc = tanhC[row + j]
            let dhj = dh[row + j]
            let dcj = dc[row + j] + dhj * o * (1 - tc * tc)
            d4[j] = dcj * g * i * (1 - i)
            d4[hd + j] = dcj * cPrev[row + j] * f * (1 - f)
            d4[2 * hd + j] = dcj * i * (1 - g * g)
            d4[3 * hd + j] = dhj * tc * o * (1 - o)
            dc[row + j] = dcj * f
            j += 1
        }
    }
}

// MARK: - Forward cache

/// What the forward pass keeps for the backward pass, plus backward scratch. Sized for one
/// (B, T); reused across steps, so training allocates nothing per step. Time-major rows.
public final class ForwardCache {
    public let shape: ModelShape
    public let batch: Int
    public let steps: Int
    /// Inputs and targets, time-major [T·B].
    var tokens: [Int32]
    var targets: [Int32]
    var hasTargets = false
    var backwardDone = false
    /// Dropout rate of the last forward pass (0: none) and, per layer boundary l → l+1
    /// (L−1 of them), the mask [T·B, H] (0 or 1/(1−rate)) and the dropped outputs [T·B, H].
    var dropoutRate: Float = 0
    let dropMask: [FloatBuffer]
    let dropped: [FloatBuffer]
    /// Embedded inputs of layer 0, [T·B, E].
    let embedded: FloatBuffer
    /// Per layer: gate activations (i,f,g,o) [T·B, 4H]; h and c [(T+1)·B, H] with the initial
    /// state in rows 0..<B; tanh(c) [T·B, H].
    let gates: [FloatBuffer]
    let h: [FloatBuffer]
    let c: [FloatBuffer]
    let tanhC: [FloatBuffer]
    /// Logits and softmax probabilities of the top layer, [T·B, V].
    let logits: FloatBuffer
    let probs: FloatBuffer
    // Backward scratch.
    let dGates: FloatBuffer    // [T·B, 4H]
    let dAbove: FloatBuffer    // [T·B, H]  gradient reaching a layer's outputs from above
    let dInput: FloatBuffer    // [T·B, E]  gradient reaching the embedded inputs
    let dh: FloatBuffer        // [B, H]
    let dc: FloatBuffer        // [B, H]
    let bias: FloatBuffer      // [4H]     b_ih + b_hh
    let dTable: FloatBuffer    // [V, 4H]  fast path: layer-0 gate gradients summed per input token

    public init(shape: ModelShape, batch: Int, steps: Int) {
        precondition(batch > 0 && steps > 0)
        self.shape = shape
        self.batch = batch
        self.steps = steps
        let (v, e, hd, l) = (shape.vocabularySize, shape.embeddingSize, shape.hiddenSize, shape.layers)
        let n = batch * steps
        tokens = [Int32](repeating: 0, count: n)
        targets = tokens
        embedded = FloatBuffer(n * e)
        gates = (0 ..< l).map { _ in FloatBuffer(n * 4 * hd) }
        h = (0 ..< l).map { _ in FloatBuffer((steps + 1) * batch * hd) }
        c = (0 ..< l).map { _ in FloatBuffer((steps + 1) * batch * hd) }
        tanhC = (0 ..< l).map { _ in FloatBuffer(n * hd) }
        logits = FloatBuffer(n * v)
        probs = FloatBuffer(n * v)
        dGates = FloatBuffer(n * 4 * hd)
        dAbove = FloatBuffer(n * hd)
        dInput = FloatBuffer(n * e)
        dh = FloatBuffer(batch * hd)
        dc = FloatBuffer(batch * hd)
        bias = FloatBuffer(4 * hd)
        dTable = FloatBuffer(v * 4 * hd)
        dropMask = (0 ..< max(0, l - 1)).map { _ in FloatBuffer(n * hd) }
        dropped = (0 ..< max(0, l - 1)).map { _ in FloatBuffer(n * hd) }
    }

    /// The dropout mask between layer l and l+1 of the last forward pass, time-major [T·B, H].
    public func dropoutMask(after layer: Int) -> [Float] { dropMask[layer].array }

    /// Logits of the last forward pass, batch-major [B, T, V].
    public var logitsBatchMajor: [Float] { batchMajor(logits, width: shape.vocabularySize) }
    /// Softmax probabilities of the last forward pass, batch-major [B, T, V]. Valid until
    /// `backward`, which overwrites them with the logit gradients.
    public var probabilitiesBatchMajor: [Float] { batchMajor(probs, width: shape.vocabularySize) }

    private func batchMajor(_ buf: FloatBuffer, width w: Int) -> [Float] {
        var out = [Float](repeating: 0, count: batch * steps * w)
        for b in 0 ..< batch {
            for t in 0 ..< steps {
                for j in 0 ..< w { out[(b * steps + t) * w + j] = buf.p[(t * batch + b) * w + j] }
            }
        }
        return out
    }
}

// MARK: - Forward and backward through time

extension CharLSTM {
    /// Forward pass over B streams of T steps. `inputs` (and `targets`, if given) are [B, T]
    /// token ids, stream-major. `initial` is the carried (h, c) of every layer (nil: zeros).
    /// Fills `cache` and returns the mean softmax cross-entropy over the B·T targets in nats
    /// (0 without targets) and the final state. Cost ≈ B·T·2·(Σ 4H(in+H) + H·V) flops.
    /// `dropout` > 0 (training only) zeroes each output of layers 0..<L−1 with that probability
    /// before the next layer reads it (as PyTorch's LSTM dropout), scaling the kept ones by
    /// 1/(1−dropout); the masks are drawn from `SeededGenerator(seed: dropoutSeed)`.
    @discardableResult
    public func forward(inputs: [Int32], targets: [Int32]?, initial: LSTMState?, cache: ForwardCache,
                        dropout: Float = 0, dropoutSeed: UInt64 = 0) -> (loss: Float, final: LSTMState) {
        precondition(dropout >= 0 && dropout < 1, "dropout must be in [0, 1)")
        let (bsz, tsz) = (cache.batch, cache.steps)
        let (v, e, hd, nl) = (shape.vocabularySize, shape.embeddingSize, shape.hiddenSize, shape.layers)
        let n = bsz * tsz
        precondition(cache.shape == shape, "cache is for another model shape")
        precondition(inputs.count == n && (targets?.count ?? n) == n, "inputs/targets must be [B,T] = \(bsz)x\(tsz)")
        if let s = initial { precondition(s.layers == nl && s.batch == bsz && s.hidden == hd, "initial state shape") }
        // Stream-major [B,T] → time-major [T·B].
        for b in 0 ..< bsz {
            for t in 0 ..< tsz {
                let tok = inputs[b * tsz + t]
                precondition(tok >= 0 && Int(tok) < v, "token \(tok) out of range 0..<\(v)")
                cache.tokens[t * bsz + b] = tok
                if let targets {
                    let y = targets[b * tsz + t]
                    precondition(y >= 0 && Int(y) < v, "target \(y) out of range 0..<\(v)")
                    cache.targets[t * bsz + b] = y
                }
            }
        }
        cache.hasTargets = targets != nil
        cache.backwardDone = false
        cache.dropoutRate = dropout
        var dropRNG = SeededGenerator(seed: dropoutSeed)
        var final = LSTMState.zeros(layers: nl, batch: bsz, hidden: hd)
        var loss = 0.0
        parameters.withUnsafeBufferPointer { pbuf in
            let p = pbuf.baseAddress!
            // Embedding: gather rows. embedded[T·B, E].
            for r in 0 ..< n {
                (cache.embedded.p + r * e).update(from: p + offsets.embedding + Int(cache.tokens[r]) * e, count: e)
            }
            for l in 0 ..< nl {
                let o = offsets.layers[l]
                let input = layerInput(l, cache)
                if l > 0 && dropout > 0 {
                    // Dropout on layer l−1's outputs: dropped = h ⊙ mask.
                    let mask = cache.dropMask[l - 1].p, src = cache.h[l - 1].p + bsz * hd, dst = cache.dropped[l - 1].p
                    let keep = 1 / (1 - dropout)
                    for k in 0 ..< n * hd {
                        mask[k] = dropRNG.nextUnitFloat() < dropout ? 0 : keep
                        dst[k] = src[k] * mask[k]
                    }
                }
                let gates = cache.gates[l].p, h = cache.h[l].p, c = cache.c[l].p, tanhC = cache.tanhC[l].p
                if l == 0 && usesPackedKernels {
                    // Layer 0, fast path: gates = table[token] (= embedding·W_ihᵀ + b_ih + b_hh).
                    inputTable.withUnsafeBufferPointer { tbuf in
                        for r in 0 ..< n {
                            (gates + r * 4 * hd).update(from: tbuf.baseAddress! + Int(cache.tokens[r]) * 4 * hd, count: 4 * hd)
                        }
                    }
                } else {
                    // Input projection for all T·B positions at once: gates = x·W_ihᵀ + (b_ih + b_hh).
                    BLAS.sgemm(.none, .transpose, m: n, n: 4 * hd, k: o.input, alpha: 1, a: input, lda: o.input,
                               b: p + o.wih, ldb: o.input, beta: 0, c: gates, ldc: 4 * hd)
                    for j in 0 ..< 4 * hd { cache.bias.p[j] = p[o.bih + j] + p[o.bhh + j] }
                    for r in 0 ..< n {
                        let row = gates + r * 4 * hd
                        for j in 0 ..< 4 * hd { row[j] += cache.bias.p[j] }
                    }
                }
                // Initial state into rows 0..<B.
                if let s = initial {
                    s.h.withUnsafeBufferPointer { h.update(from: $0.baseAddress! + l * bsz * hd, count: bsz * hd) }
                    s.c.withUnsafeBufferPointer { c.update(from: $0.baseAddress! + l * bsz * hd, count: bsz * hd) }
                } else {
                    h.update(repeating: 0, count: bsz * hd)
                    c.update(repeating: 0, count: bsz * hd)
                }
                // The time loop: only the recurrent product and the cell depend on step t−1.
                if usesPackedKernels {
                    let pack = recurrentPacks[l], threads = kernelThreads
                    for t in 0 ..< tsz {
                        let g = gates + t * bsz * 4 * hd
                        packedMultiply(h + t * bsz * hd, rows: bsz, pack, into: g, accumulate: true, threads: threads)
                        lstmCellForward(batch: bsz, hidden: hd, gates: g, cellIn: c + t * bsz * hd, cellOut: c + (t + 1) * bsz * hd,
                                        hiddenOut: h + (t + 1) * bsz * hd, tanhCell: tanhC + t * bsz * hd)
                    }
                } else {
                    BLAS.withThreads(recurrentThreads) {
                    for t in 0 ..< tsz {
                        let g = gates + t * bsz * 4 * hd
                        recurrentStep(h: h + t * bsz * hd, whh: p + o.whh, gates: g, batch: bsz, hidden: hd)
                        cellForward(gates: g, cPrev: c + t * bsz * hd, c: c + (t + 1) * bsz * hd,
                                    tanhC: tanhC + t * bsz * hd, h: h + (t + 1) * bsz * hd, batch: bsz, hidden: hd)
                    }
                    }
                }
                final.h.withUnsafeMutableBufferPointer { $0.baseAddress!.advanced(by: l * bsz * hd).update(from: h + tsz * bsz * hd, count: bsz * hd) }
                final.c.withUnsafeMutableBufferPointer { $0.baseAddress!.advanced(by: l * bsz * hd).update(from: c + tsz * bsz * hd, count: bsz * hd) }
            }
            // Output layer for all positions: logits[T·B, V] = h_top·fc.weightᵀ + fc.bias.
            let top = cache.h[nl - 1].p + bsz * hd
            BLAS.sgemm(.none, .transpose, m: n, n: v, k: hd, alpha: 1, a: top, lda: hd,
                       b: p + offsets.fcWeight, ldb: hd, beta: 0, c: cache.logits.p, ldc: v)
            for r in 0 ..< n {
                let row = cache.logits.p + r * v
                for j in 0 ..< v { row[j] += p[offsets.fcBias + j] }
            }
            // Softmax and cross-entropy: loss_r = log Σ e^z − z_target (computed with the max shifted out).
            for r in 0 ..< n {
                let z = cache.logits.p + r * v, q = cache.probs.p + r * v
                var mx = -Float.infinity
                for j in 0 ..< v { mx = max(mx, z[j]) }
                var sum: Float = 0
                for j in 0 ..< v { q[j] = Elementwise.exp(z[j] - mx); sum += q[j] }
                let inv = 1 / sum
                for j in 0 ..< v { q[j] *= inv }
                if targets != nil {
                    loss += Double(logf(sum) + mx - z[Int(cache.targets[r])])
                }
            }
        }
        return (targets == nil ? 0 : Float(loss / Double(n)), final)
    }

    /// What layer l reads, [T·B, in]: the embedded tokens, or layer l−1's outputs (rows 1…T of
    /// its h), or those outputs after dropout.
    private func layerInput(_ l: Int, _ cache: ForwardCache) -> UnsafePointer<Float> {
        if l == 0 { return UnsafePointer(cache.embedded.p) }
        if cache.dropoutRate > 0 { return UnsafePointer(cache.dropped[l - 1].p) }
        return UnsafePointer(cache.h[l - 1].p + cache.batch * shape.hiddenSize)
    }

    /// Backward pass of the last `forward` (which must have had targets). ADDS the gradient of
    /// the mean loss to `gradients` (same layout as `parameters`; zero it first). `dFinal` is the
    /// gradient reaching the final state from later steps (nil: none, the usual truncated BPTT).
    /// Returns the gradient with respect to the initial state. Cost ≈ 2× the forward.
    @discardableResult
    public func backward(cache: ForwardCache, gradients: inout [Float], dFinal: LSTMState? = nil) -> LSTMState {
        precondition(cache.hasTargets, "backward needs a forward pass with targets")
        precondition(!cache.backwardDone, "backward runs once per forward (it consumes the probabilities)")
        cache.backwardDone = true
        precondition(gradients.count == parameters.count, "gradients must have the parameter layout")
        let (bsz, tsz) = (cache.batch, cache.steps)
        let (v, e, hd, nl) = (shape.vocabularySize, shape.embeddingSize, shape.hiddenSize, shape.layers)
        let n = bsz * tsz
        var dInitial = LSTMState.zeros(layers: nl, batch: bsz, hidden: hd)
        parameters.withUnsafeBufferPointer { pbuf in
            gradients.withUnsafeMutableBufferPointer { gbuf in
                let p = pbuf.baseAddress!, d = gbuf.baseAddress!
                // dLogits = (softmax − onehot(target)) / (B·T), written over the probabilities.
                let dLogits = cache.probs.p
                let scale = 1 / Float(n)
                for r in 0 ..< n {
                    let q = dLogits + r * v
                    q[Int(cache.targets[r])] -= 1
                    for j in 0 ..< v { q[j] *= scale }
                }
                // Output layer: dfc.weight[V,H] += dLogitsᵀ·h_top, dfc.bias += Σ_rows dLogits,
                // dAbove[T·B,H] = dLogits·fc.weight.
                let top = cache.h[nl - 1].p + bsz * hd
                BLAS.sgemm(.transpose, .none, m: v, n: hd, k: n, alpha: 1, a: dLogits, lda: v, b: top, ldb: hd,
                           beta: 1, c: d + offsets.fcWeight, ldc: hd)
                for r in 0 ..< n {
                    for j in 0 ..< v { d[offsets.fcBias + j] += dLogits[r * v + j] }
                }
                BLAS.sgemm(.none, .none, m: n, n: hd, k: v, alpha: 1, a: dLogits, lda: v, b: p + offsets.fcWeight, ldb: hd,
                           beta: 0, c: cache.dAbove.p, ldc: hd)
                for l in stride(from: nl - 1, through: 0, by: -1) {
                    let o = offsets.layers[l]
                    let gates = cache.gates[l].p, h = cache.h[l].p, c = cache.c[l].p, tanhC = cache.tanhC[l].p
                    let dGates = cache.dGates.p, dh = cache.dh.p, dc = cache.dc.p
                    // Gradient from later steps (truncated BPTT: usually zero).
                    if let s = dFinal {
                        s.h.withUnsafeBufferPointer { dh.update(from: $0.baseAddress! + l * bsz * hd, count: bsz * hd) }
                        s.c.withUnsafeBufferPointer { dc.update(from: $0.baseAddress! + l * bsz * hd, count: bsz * hd) }
                    } else {
                        cache.dh.zero()
                        cache.dc.zero()
                    }
                    let pack = recurrentPacks[l], threads = kernelThreads, packed = usesPackedKernels
                    BLAS.withThreads(packed ? nil : recurrentThreads) {
                        for t in stride(from: tsz - 1, through: 0, by: -1) {
                            // dh = from above + from step t+1 (already in dh).
                            let above = cache.dAbove.p + t * bsz * hd
                            for j in 0 ..< bsz * hd { dh[j] += above[j] }
                            let dg = dGates + t * bsz * 4 * hd
                            cellBackward(gates: gates + t * bsz * 4 * hd, cPrev: c + t * bsz * hd, tanhC: tanhC + t * bsz * hd,
                                         dh: dh, dc: dc, dGates: dg, batch: bsz, hidden: hd)
                            if packed {
                                packedMultiplyTransposed(dg, rows: bsz, pack, into: dh, accumulate: false, threads: threads)
                            } else {
                                recurrentStepBackward(dGates: dg, whh: p + o.whh, dh: dh, batch: bsz, hidden: hd)
                            }
                        }
                    }
                    dInitial.h.withUnsafeMutableBufferPointer { $0.baseAddress!.advanced(by: l * bsz * hd).update(from: dh, count: bsz * hd) }
                    dInitial.c.withUnsafeMutableBufferPointer { $0.baseAddress!.advanced(by: l * bsz * hd).update(from: dc, count: bsz * hd) }
                    // Weight gradients for all steps at once:
                    // dW_hh[4H,H] += dGatesᵀ·h_{t−1} (rows 0..<T of h), dW_ih[4H,in] += dGatesᵀ·x,
                    // db_ih = db_hh += Σ_rows dGates.
                    let input = layerInput(l, cache)
                    BLAS.sgemm(.transpose, .none, m: 4 * hd, n: hd, k: n, alpha: 1, a: dGates, lda: 4 * hd, b: h, ldb: hd,
                               beta: 1, c: d + o.whh, ldc: hd)
                    if l == 0 && packed {
                        // Layer 0 reads embedding rows, so its gradients go through the V distinct
                        // tokens, not the T·B positions: dTable[v] = Σ_{r: token r = v} dGates[r], then
                        // dW_ih += dTableᵀ·embedding, db += Σ_v dTable[v], dEmbedding += dTable·W_ih
                        // (V×4H×E products instead of T·B×4H×E ones; the same sums, reassociated).
                        let dt = cache.dTable.p
                        cache.dTable.zero()
                        for r in 0 ..< n {
                            let src = dGates + r * 4 * hd, dst = dt + Int(cache.tokens[r]) * 4 * hd
                            for j in 0 ..< 4 * hd { dst[j] += src[j] }
                        }
                        BLAS.sgemm(.transpose, .none, m: 4 * hd, n: e, k: v, alpha: 1, a: dt, lda: 4 * hd, b: p + offsets.embedding, ldb: e,
                                   beta: 1, c: d + o.wih, ldc: e)
                        let db = cache.bias.p
                        db.update(repeating: 0, count: 4 * hd)
                        for r in 0 ..< v {
                            let row = dt + r * 4 * hd
                            for j in 0 ..< 4 * hd { db[j] += row[j] }
                        }
                        for j in 0 ..< 4 * hd {
                            d[o.bih + j] += db[j]
                            d[o.bhh + j] += db[j]
                        }
                        BLAS.sgemm(.none, .none, m: v, n: e, k: 4 * hd, alpha: 1, a: dt, lda: 4 * hd, b: p + o.wih, ldb: e,
                                   beta: 1, c: d + offsets.embedding, ldc: e)
                        continue
                    }
                    BLAS.sgemm(.transpose, .none, m: 4 * hd, n: o.input, k: n, alpha: 1, a: dGates, lda: 4 * hd, b: input, ldb: o.input,
                               beta: 1, c: d + o.wih, ldc: o.input)
                    for r in 0 ..< n {
                        let row = dGates + r * 4 * hd
                        for j in 0 ..< 4 * hd {
                            d[o.bih + j] += row[j]
                            d[o.bhh + j] += row[j]
                        }
                    }
                    // dx[T·B,in] = dGates·W_ih: into dAbove for the layer below, or dInput for the embedding.
                    let dx = l == 0 ? cache.dInput.p : cache.dAbove.p
                    BLAS.sgemm(.none, .none, m: n, n: o.input, k: 4 * hd, alpha: 1, a: dGates, lda: 4 * hd, b: p + o.wih, ldb: o.input,
                               beta: 0, c: dx, ldc: o.input)
                    if l > 0 && cache.dropoutRate > 0 {
                        // Backward of dropped = h ⊙ mask.
                        let mask = cache.dropMask[l - 1].p
                        for k in 0 ..< n * hd { dx[k] *= mask[k] }
                    }
                }
                // Embedding: scatter-add each position's input gradient into its token's row
                // (the fast path did it through dTable).
                for r in 0 ..< n where !usesPackedKernels {
                    let row = d + offsets.embedding + Int(cache.tokens[r]) * e
                    let src = cache.dInput.p + r * e
                    for j in 0 ..< e { row[j] += src[j] }
                }
            }
        }
        return dInitial
    }
}
