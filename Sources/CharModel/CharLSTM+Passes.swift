// CharLSTM+Passes: the forward and backward passes through time, written as adjacent pairs in
// the manner of llm.c: embedding, dropout, LSTM layer (input projection, time loop), output
// layer with cross-entropy. `forward` and `backward` are short sequences of these calls.
//
// Letters: B streams, T steps, V vocabulary, E embedding width, H hidden units, L layers; gates
// in every 4H block are i, f, g, o. Activations are time-major (row t·B + b). Work that does not
// depend on the previous step is one GEMM over all T·B rows; only the recurrent product and the
// cell run per step. Where the fast path differs (packed W_hh, the C cell, layer 0's input table)
// it is a kernel choice inside a pair (`recurrentForward`, `cellForwardStep`, …), not a second
// copy of the control flow.
import Foundation
import Linalg

extension CharLSTM {
    /// Forward pass over B streams of T steps. `inputs` (and `targets`, if given) are [B, T]
    /// token ids, stream-major; a target of −1 is padding: it adds neither loss nor gradient.
    /// `initial` is the carried (h, c) of every layer (nil: zeros). Fills `cache` and returns
    /// the mean softmax cross-entropy over the targets that are not padding, in nats (0 without
    /// targets or when all are padding), and the final state. Cost ≈ B·T·2·(Σ 4H(in+H) + H·V) flops.
    /// `dropout` > 0 (training only) zeroes each output of layers 0..<L−1 with that probability
    /// before the next layer reads it (as PyTorch's LSTM dropout), scaling the kept ones by
    /// 1/(1−dropout); the masks are drawn from `SeededGenerator(seed: dropoutSeed)`.
    @discardableResult
    public func forward(inputs: [Int32], targets: [Int32]?, initial: LSTMState?, cache: ForwardCache,
                        dropout: Float = 0, dropoutSeed: UInt64 = 0) -> (loss: Float, final: LSTMState) {
        precondition(dropout >= 0 && dropout < 1, "dropout must be in [0, 1)")
        precondition(cache.shape == shape, "cache is for another model shape")
        let (B, H, L) = (cache.batch, shape.hiddenSize, shape.layers)
        if let s = initial { precondition(s.layers == L && s.batch == B && s.hidden == H, "initial state shape") }
        cache.load(inputs: inputs, targets: targets)
        cache.dropoutRate = dropout
        var dropoutRNG = SeededGenerator(seed: dropoutSeed)
        var final = LSTMState.zeros(layers: L, batch: B, hidden: H)
        var loss: Float = 0
        parameters.withUnsafeBufferPointer { pbuf in
            let p = pbuf.baseAddress!
            timed(profile, .inputProjection) { embeddingForward(p, cache) }
            for l in 0 ..< L {
                if l > 0 && dropout > 0 { dropoutForward(after: l - 1, cache, rng: &dropoutRNG) }
                lstmLayerForward(l, p, cache, initial: initial, final: &final)
            }
            loss = timed(profile, .outputLayer) { outputForward(p, cache) }
        }
        return (loss, final)
    }

    /// Backward pass of the last `forward` (which must have had targets). ADDS the gradient of
    /// the mean loss to `gradients` (same layout as `parameters`; zero it first). `dFinal` is the
    /// gradient reaching the final state from later steps (nil: none, the usual truncated BPTT).
    /// Returns the gradient with respect to the initial state. Cost ≈ 2× the forward.
    @discardableResult
    public func backward(cache: ForwardCache, gradients: inout [Float], dFinal: LSTMState? = nil) -> LSTMState {
        precondition(cache.hasTargets, "backward needs a forward pass with targets")
        precondition(!cache.backwardDone, "backward runs once per forward (it consumes the probabilities)")
        precondition(gradients.count == parameters.count, "gradients must have the parameter layout")
        cache.backwardDone = true
        let L = shape.layers
        var dInitial = LSTMState.zeros(layers: L, batch: cache.batch, hidden: shape.hiddenSize)
        parameters.withUnsafeBufferPointer { pbuf in
            gradients.withUnsafeMutableBufferPointer { gbuf in
                let (p, d) = (pbuf.baseAddress!, gbuf.baseAddress!)
                timed(profile, .outputLayer) { outputBackward(p, d, cache) }
                for l in stride(from: L - 1, through: 0, by: -1) {
                    lstmLayerBackward(l, p, d, cache, dFinal: dFinal, dInitial: &dInitial)
                    if l > 0 && cache.dropoutRate > 0 { dropoutBackward(after: l - 1, cache) }
                }
                timed(profile, .weightGradients) { embeddingBackward(d, cache) }
            }
        }
        return dInitial
    }

    // MARK: - Embedding

    /// embedded[T·B, E] = embedding.weight[V, E] rows of the input tokens (a gather).
    func embeddingForward(_ p: UnsafePointer<Float>, _ cache: ForwardCache) {
        let E = shape.embeddingSize
        for r in 0 ..< cache.tokens.count {
            (cache.embedded.p + r * E).update(from: p + offsets.embedding + Int(cache.tokens[r]) * E, count: E)
        }
    }

    /// dembedding.weight[V, E] += dInput[T·B, E] scattered to each position's token row. On the
    /// fast path layer 0 read the input table, and its backward (`inputProjectionBackward`)
    /// already added dTable·W_ih₀ to these rows: nothing is left to do here.
    func embeddingBackward(_ d: UnsafeMutablePointer<Float>, _ cache: ForwardCache) {
        guard !usesPackedKernels else { return }
        let E = shape.embeddingSize
        for r in 0 ..< cache.tokens.count {
            let row = d + offsets.embedding + Int(cache.tokens[r]) * E
            let src = cache.dInput.p + r * E
            for j in 0 ..< E { row[j] += src[j] }
        }
    }

    // MARK: - Dropout between layers l and l+1

    /// dropped[T·B, H] = h_l ⊙ mask, mask drawn per element: 0 with probability `rate`, else 1/(1−rate).
    func dropoutForward(after l: Int, _ cache: ForwardCache, rng: inout SeededGenerator) {
        let (B, T, H) = (cache.batch, cache.steps, shape.hiddenSize)
        let rate = cache.dropoutRate
        let mask = cache.dropMask[l].p, src = cache.h[l].p + B * H, dst = cache.dropped[l].p
        let keep = 1 / (1 - rate)
        for k in 0 ..< T * B * H {
            mask[k] = rng.nextUnitFloat() < rate ? 0 : keep
            dst[k] = src[k] * mask[k]
        }
    }

    /// dAbove[T·B, H] (the gradient reaching layer l's outputs, just computed by layer l+1) ⊙= mask.
    func dropoutBackward(after l: Int, _ cache: ForwardCache) {
        let n = cache.batch * cache.steps * shape.hiddenSize
        let mask = cache.dropMask[l].p, dx = cache.dAbove.p
        for k in 0 ..< n { dx[k] *= mask[k] }
    }

    // MARK: - One LSTM layer

    /// Layer l over all T steps: gates[T·B, 4H] from the input projection, then per step
    /// gates_t += h_{t−1}·W_hhᵀ and the cell, filling h, c [(T+1)·B, H] (row block 0 = `initial`,
    /// or zeros) and tanh(c) [T·B, H]. Copies h_T, c_T into layer l of `final` [L, B, H].
    func lstmLayerForward(_ l: Int, _ p: UnsafePointer<Float>, _ cache: ForwardCache, initial: LSTMState?, final: inout LSTMState) {
        let (B, T, H) = (cache.batch, cache.steps, shape.hiddenSize)
        let gates = cache.gates[l].p, h = cache.h[l].p, c = cache.c[l].p, tanhC = cache.tanhC[l].p
        timed(profile, .inputProjection) { inputProjectionForward(l, p, cache) }
        if let s = initial {
            s.h.withUnsafeBufferPointer { h.update(from: $0.baseAddress! + l * B * H, count: B * H) }
            s.c.withUnsafeBufferPointer { c.update(from: $0.baseAddress! + l * B * H, count: B * H) }
        } else {
            h.update(repeating: 0, count: B * H)
            c.update(repeating: 0, count: B * H)
        }
        BLAS.withThreads(usesPackedKernels ? nil : recurrentThreads) {
            for t in 0 ..< T {
                let g = gates + t * B * 4 * H
                timed(profile, .recurrentForward) { recurrentForward(l, p, h: h + t * B * H, gates: g, batch: B) }
                timed(profile, .cellForward) {
                    cellForwardStep(gates: g, cPrev: c + t * B * H, c: c + (t + 1) * B * H, tanhC: tanhC + t * B * H,
                                    h: h + (t + 1) * B * H, batch: B)
                }
            }
        }
        final.h.withUnsafeMutableBufferPointer { $0.baseAddress!.advanced(by: l * B * H).update(from: h + T * B * H, count: B * H) }
        final.c.withUnsafeMutableBufferPointer { $0.baseAddress!.advanced(by: l * B * H).update(from: c + T * B * H, count: B * H) }
    }

    /// Backward of `lstmLayerForward` for layer l. Reads dAbove [T·B, H] (the gradient reaching
    /// the layer's outputs) and layer l of `dFinal` (from later steps; nil: zero); runs the time
    /// loop backwards into dGates [T·B, 4H]; writes layer l of `dInitial`; adds dW_hh, and through
    /// `inputProjectionBackward` dW_ih, db_ih, db_hh and the gradient reaching the layer's input.
    func lstmLayerBackward(_ l: Int, _ p: UnsafePointer<Float>, _ d: UnsafeMutablePointer<Float>, _ cache: ForwardCache,
                           dFinal: LSTMState?, dInitial: inout LSTMState) {
        let (B, T, H) = (cache.batch, cache.steps, shape.hiddenSize)
        let gates = cache.gates[l].p, h = cache.h[l].p, c = cache.c[l].p, tanhC = cache.tanhC[l].p
        let dGates = cache.dGates.p, dh = cache.dh.p, dc = cache.dc.p
        if let s = dFinal {
            s.h.withUnsafeBufferPointer { dh.update(from: $0.baseAddress! + l * B * H, count: B * H) }
            s.c.withUnsafeBufferPointer { dc.update(from: $0.baseAddress! + l * B * H, count: B * H) }
        } else {
            cache.dh.zero()
            cache.dc.zero()
        }
        BLAS.withThreads(usesPackedKernels ? nil : recurrentThreads) {
            for t in stride(from: T - 1, through: 0, by: -1) {
                let dg = dGates + t * B * 4 * H
                timed(profile, .cellBackward) {
                    // dh = from above + from step t+1 (already in dh).
                    let above = cache.dAbove.p + t * B * H
                    for j in 0 ..< B * H { dh[j] += above[j] }
                    cellBackward(gates: gates + t * B * 4 * H, cPrev: c + t * B * H, tanhC: tanhC + t * B * H,
                                 dh: dh, dc: dc, dGates: dg, batch: B, hidden: H)
                }
                timed(profile, .recurrentBackward) { recurrentBackward(l, p, dGates: dg, dh: dh, batch: B) }
            }
        }
        dInitial.h.withUnsafeMutableBufferPointer { $0.baseAddress!.advanced(by: l * B * H).update(from: dh, count: B * H) }
        dInitial.c.withUnsafeMutableBufferPointer { $0.baseAddress!.advanced(by: l * B * H).update(from: dc, count: B * H) }
        timed(profile, .weightGradients) {
            // dW_hh[4H, H] += dGatesᵀ·h_{t−1} for all steps at once (rows 0..<T of h).
            BLAS.sgemm(.transpose, .none, m: 4 * H, n: H, k: T * B, alpha: 1, a: dGates, lda: 4 * H, b: h, ldb: H,
                       beta: 1, c: d + offsets.layers[l].whh, ldc: H)
            inputProjectionBackward(l, p, d, cache)
        }
    }

    // MARK: - Input projection (inside a layer)

    /// gates[T·B, 4H] = x·W_ihᵀ + b_ih + b_hh for all positions at once, x = `layerInput(l)`.
    /// Fast path, layer 0: row `token` of the input table, which holds exactly that sum per token.
    func inputProjectionForward(_ l: Int, _ p: UnsafePointer<Float>, _ cache: ForwardCache) {
        let (n, H) = (cache.batch * cache.steps, shape.hiddenSize)
        let o = offsets.layers[l], gates = cache.gates[l].p
        if l == 0 && usesPackedKernels {
            inputTable.withUnsafeBufferPointer { table in
                for r in 0 ..< n {
                    (gates + r * 4 * H).update(from: table.baseAddress! + Int(cache.tokens[r]) * 4 * H, count: 4 * H)
                }
            }
            return
        }
        BLAS.sgemm(.none, .transpose, m: n, n: 4 * H, k: o.input, alpha: 1, a: layerInput(l, cache), lda: o.input,
                   b: p + o.wih, ldb: o.input, beta: 0, c: gates, ldc: 4 * H)
        for j in 0 ..< 4 * H { cache.bias.p[j] = p[o.bih + j] + p[o.bhh + j] }
        for r in 0 ..< n {
            let row = gates + r * 4 * H
            for j in 0 ..< 4 * H { row[j] += cache.bias.p[j] }
        }
    }

    /// Backward of `inputProjectionForward`: dW_ih[4H, in] += dGatesᵀ·x, db_ih = db_hh += Σ_rows
    /// dGates, and dx[T·B, in] = dGates·W_ih into dAbove (for layer l−1) or dInput (embedding).
    /// Fast path, layer 0: through the V distinct tokens instead of the T·B positions:
    /// dTable[v] = Σ_{r: token r = v} dGates[r], then dW_ih += dTableᵀ·embedding,
    /// db += Σ_v dTable[v], dembedding += dTable·W_ih (the same sums, reassociated).
    func inputProjectionBackward(_ l: Int, _ p: UnsafePointer<Float>, _ d: UnsafeMutablePointer<Float>, _ cache: ForwardCache) {
        let (n, H) = (cache.batch * cache.steps, shape.hiddenSize)
        let o = offsets.layers[l], dGates = cache.dGates.p
        if l == 0 && usesPackedKernels {
            tableBackward(p, d, cache)
            return
        }
        BLAS.sgemm(.transpose, .none, m: 4 * H, n: o.input, k: n, alpha: 1, a: dGates, lda: 4 * H, b: layerInput(l, cache),
                   ldb: o.input, beta: 1, c: d + o.wih, ldc: o.input)
        for r in 0 ..< n {
            let row = dGates + r * 4 * H
            for j in 0 ..< 4 * H {
                d[o.bih + j] += row[j]
                d[o.bhh + j] += row[j]
            }
        }
        let dx = l == 0 ? cache.dInput.p : cache.dAbove.p
        BLAS.sgemm(.none, .none, m: n, n: o.input, k: 4 * H, alpha: 1, a: dGates, lda: 4 * H, b: p + o.wih, ldb: o.input,
                   beta: 0, c: dx, ldc: o.input)
    }

    /// The fast path's layer-0 input-projection backward (see `inputProjectionBackward`).
    private func tableBackward(_ p: UnsafePointer<Float>, _ d: UnsafeMutablePointer<Float>, _ cache: ForwardCache) {
        let (n, V, E, H) = (cache.batch * cache.steps, shape.vocabularySize, shape.embeddingSize, shape.hiddenSize)
        let o = offsets.layers[0], dGates = cache.dGates.p, dt = cache.dTable.p
        cache.dTable.zero()
        for r in 0 ..< n {
            let src = dGates + r * 4 * H, dst = dt + Int(cache.tokens[r]) * 4 * H
            for j in 0 ..< 4 * H { dst[j] += src[j] }
        }
        BLAS.sgemm(.transpose, .none, m: 4 * H, n: E, k: V, alpha: 1, a: dt, lda: 4 * H, b: p + offsets.embedding, ldb: E,
                   beta: 1, c: d + o.wih, ldc: E)
        let db = cache.bias.p
        db.update(repeating: 0, count: 4 * H)
        for r in 0 ..< V {
            let row = dt + r * 4 * H
            for j in 0 ..< 4 * H { db[j] += row[j] }
        }
        for j in 0 ..< 4 * H {
            d[o.bih + j] += db[j]
            d[o.bhh + j] += db[j]
        }
        BLAS.sgemm(.none, .none, m: V, n: E, k: 4 * H, alpha: 1, a: dt, lda: 4 * H, b: p + o.wih, ldb: E,
                   beta: 1, c: d + offsets.embedding, ldc: E)
    }

    /// What layer l reads, [T·B, in]: the embedded tokens, or layer l−1's outputs (rows 1…T of
    /// its h), or those outputs after dropout.
    func layerInput(_ l: Int, _ cache: ForwardCache) -> UnsafePointer<Float> {
        if l == 0 { return UnsafePointer(cache.embedded.p) }
        if cache.dropoutRate > 0 { return UnsafePointer(cache.dropped[l - 1].p) }
        return UnsafePointer(cache.h[l - 1].p + cache.batch * shape.hiddenSize)
    }

    // MARK: - Output layer and cross-entropy

    /// logits[T·B, V] = h_top·fc.weightᵀ + fc.bias; probs = softmax(logits) per row. Returns the
    /// mean over the rows whose target is not padding of log Σ e^z − z_target (nats), or 0 when
    /// there are none.
    func outputForward(_ p: UnsafePointer<Float>, _ cache: ForwardCache) -> Float {
        let (B, T, V, H) = (cache.batch, cache.steps, shape.vocabularySize, shape.hiddenSize)
        let n = B * T
        let top = cache.h[shape.layers - 1].p + B * H
        BLAS.sgemm(.none, .transpose, m: n, n: V, k: H, alpha: 1, a: top, lda: H,
                   b: p + offsets.fcWeight, ldb: H, beta: 0, c: cache.logits.p, ldc: V)
        for r in 0 ..< n {
            let row = cache.logits.p + r * V
            for j in 0 ..< V { row[j] += p[offsets.fcBias + j] }
        }
        var loss = 0.0
        for r in 0 ..< n {
            let z = cache.logits.p + r * V
            let (mx, sum) = Elementwise.softmax(z, into: cache.probs.p + r * V, count: V)
            if cache.hasTargets && cache.targets[r] >= 0 { loss += Double(logf(sum) + mx - z[Int(cache.targets[r])]) }
        }
        return cache.hasTargets && cache.targetCount > 0 ? Float(loss / Double(cache.targetCount)) : 0
    }

    /// Backward of `outputForward`: dLogits = (probs − onehot(target)) / (targets counted),
    /// written over probs (rows whose target is padding: 0); dfc.weight[V, H] += dLogitsᵀ·h_top; dfc.bias += Σ_rows dLogits; dAbove[T·B, H] =
    /// dLogits·fc.weight (the gradient reaching the top layer's outputs).
    func outputBackward(_ p: UnsafePointer<Float>, _ d: UnsafeMutablePointer<Float>, _ cache: ForwardCache) {
        let (B, T, V, H) = (cache.batch, cache.steps, shape.vocabularySize, shape.hiddenSize)
        let n = B * T
        let dLogits = cache.probs.p
        let scale = 1 / Float(max(1, cache.targetCount))
        for r in 0 ..< n {
            let q = dLogits + r * V
            guard cache.targets[r] >= 0 else {
                q.update(repeating: 0, count: V)
                continue
            }
            q[Int(cache.targets[r])] -= 1
            for j in 0 ..< V { q[j] *= scale }
        }
        let top = cache.h[shape.layers - 1].p + B * H
        BLAS.sgemm(.transpose, .none, m: V, n: H, k: n, alpha: 1, a: dLogits, lda: V, b: top, ldb: H,
                   beta: 1, c: d + offsets.fcWeight, ldc: H)
        for r in 0 ..< n {
            for j in 0 ..< V { d[offsets.fcBias + j] += dLogits[r * V + j] }
        }
        BLAS.sgemm(.none, .none, m: n, n: H, k: V, alpha: 1, a: dLogits, lda: V, b: p + offsets.fcWeight, ldb: H,
                   beta: 0, c: cache.dAbove.p, ldc: H)
    }
}
