// Sampler: writes new text one character at a time, for `streams` independent streams run as
// one batch (B = streams). Each step embeds one token per stream, runs every layer's cell on
// the carried (h, c) and produces next-character logits; a draw with temperature, top-k and
// top-p picks the next token. All buffers are allocated once: a step allocates nothing, and one
// stream runs on matrix-vector products (memory-bound: it reads every weight once per character).
// Fast path (the model's `usesPackedKernels`): layer 0's gates start as a row of the model's
// input table (no W_ih read at all), every h·Wᵀ product runs on packed weights (W_hh packed by the
// model; W_ih of layers ≥ 1 and fc.weight packed here, once: `model` is immutable), and the cell
// is the fused kernel. Reference path: OpenBLAS GEMV/GEMM and the Swift cell.
import Foundation
import Linalg

/// How to draw characters. Defaults: plain sampling from the model's distribution.
public struct SamplingOptions: Sendable, Hashable, Codable {
    /// Logits are divided by this; ≤ 0 means greedy (argmax). Default 1.
    public var temperature: Float = 1
    /// Keep only the k most probable characters (nil: all).
    public var topK: Int? = nil
    /// Keep the smallest set of most probable characters whose mass reaches p (nil: all).
    public var topP: Float? = nil
    /// At most this many generated characters per stream (the prime not counted).
    public var maxLength: Int = 1000
    /// A stream stops once its generated text ends with this (included in the output); nil: never.
    public var stop: String? = "\n\n"

    public init(temperature: Float = 1, topK: Int? = nil, topP: Float? = nil, maxLength: Int = 1000, stop: String? = "\n\n") {
        (self.temperature, self.topK, self.topP, self.maxLength, self.stop) = (temperature, topK, topP, maxLength, stop)
    }
}

/// Removes characters before each draw, one stream at a time; the sampler knows nothing of what
/// the characters mean. The kept probabilities are renormalised, then top-k and top-p apply.
public protocol SamplingConstraint: AnyObject {
    /// The characters stream `stream` may draw next (true: allowed), [V]; nil allows every one.
    /// Called once before each draw of that stream.
    func allowed(stream: Int) -> [Bool]?
    /// Stream `stream` drew `token` (called after each draw, before the next `allowed`).
    func didDraw(stream: Int, token: Int32)
}

/// What a constraint took away, per stream: the probability mass it masked (at the sampling
/// temperature, after any `adjust`), summed over draws, and the number of draws.
public struct ConstraintStatistics: Sendable, Hashable {
    public var removedMass: [Double]
    public var draws: [Int]
    /// Mean mass removed per draw over all streams (0 when nothing was drawn).
    public var meanRemovedMass: Double {
        let n = draws.reduce(0, +)
        return n == 0 ? 0 : removedMass.reduce(0, +) / Double(n)
    }
}

public final class Sampler {
    public let model: CharLSTM
    /// B: streams run side by side.
    public let streams: Int
    // Per layer: (h, c) [B,H]; scratch gates [B,4H] and tanh(c) [B,H]; combined bias [4H].
    private let h: [FloatBuffer], c: [FloatBuffer], bias: [FloatBuffer]
    private let gates: FloatBuffer, tanhC: FloatBuffer
    private let x: FloatBuffer       // [B,E] embedded tokens
    private let logits: FloatBuffer  // [B,V] after the last step
    private var order: [Int32]       // [V] scratch for top-k / top-p
    /// [V] scratch handed to callers that adjust probabilities.
    private var scratch: [Float]
    /// When set, `generate` draws from the mixture of the LSTM and this match model (each stream
    /// copies from its own text so far, prime included); nil draws from the LSTM alone.
    public var matchModel: MatchModel?
    /// What the last `generate` call's constraint removed (zeros without a constraint).
    public private(set) var constraintStatistics = ConstraintStatistics(removedMass: [], draws: [])
    /// Fast path: W_ih of layers 1..<L (index l−1) and fc.weight, packed for `packedMultiply`.
    private let inputPacks: [PackedWeights]
    private let outputPack: PackedWeights?

    public init(model: CharLSTM, streams: Int = 1) {
        precondition(streams > 0)
        self.model = model
        self.streams = streams
        let s = model.shape
        let (hd, nl) = (s.hiddenSize, s.layers)
        h = (0 ..< nl).map { _ in FloatBuffer(streams * hd) }
        c = (0 ..< nl).map { _ in FloatBuffer(streams * hd) }
        bias = model.offsets.layers.map { o in
            let b = FloatBuffer(4 * hd)
            for j in 0 ..< 4 * hd { b.p[j] = model.parameters[o.bih + j] + model.parameters[o.bhh + j] }
            return b
        }
        gates = FloatBuffer(streams * 4 * hd)
        tanhC = FloatBuffer(streams * hd)
        x = FloatBuffer(streams * s.embeddingSize)
        logits = FloatBuffer(streams * s.vocabularySize)
        order = (0 ..< Int32(s.vocabularySize)).map { $0 }
        scratch = [Float](repeating: 0, count: s.vocabularySize)
        if model.usesPackedKernels {
            inputPacks = model.parameters.withUnsafeBufferPointer { pbuf in
                model.offsets.layers.dropFirst().map { o in
                    var w = PackedWeights(rows: 4 * hd, columns: o.input, transposedProduct: false)
                    w.pack(from: pbuf.baseAddress! + o.wih)
                    return w
                }
            }
            var fc = PackedWeights(rows: s.vocabularySize, columns: hd, transposedProduct: false)
            model.parameters.withUnsafeBufferPointer { fc.pack(from: $0.baseAddress! + model.offsets.fcWeight) }
            outputPack = fc
        } else {
            inputPacks = []
            outputPack = nil
        }
    }

    /// Zeroes (h, c) of every stream: the state at the start of a text.
    public func reset() {
        for b in h + c { b.zero() }
    }

    /// The carried (h, c) of every layer and stream, [L, B, H].
    public var state: LSTMState {
        get {
            let s = model.shape
            return LSTMState(layers: s.layers, batch: streams, hidden: s.hiddenSize,
                             h: h.flatMap(\.array), c: c.flatMap(\.array))
        }
        set {
            let n = streams * model.shape.hiddenSize
            precondition(newValue.layers == model.shape.layers && newValue.batch == streams && newValue.hidden == model.shape.hiddenSize)
            for l in 0 ..< model.shape.layers {
                for j in 0 ..< n { h[l].p[j] = newValue.h[l * n + j]; c[l].p[j] = newValue.c[l * n + j] }
            }
        }
    }

    /// Feeds one token per stream (`tokens.count == streams`), advancing (h, c) and computing the
    /// logits of the next character. Cost ≈ B·2·(Σ 4H(in+H) + H·V) flops; allocates nothing.
    public func step(_ tokens: [Int32]) {
        precondition(tokens.count == streams, "one token per stream")
        if model.usesPackedKernels { return packedStep(tokens) }
        let s = model.shape
        let (v, e, hd) = (s.vocabularySize, s.embeddingSize, s.hiddenSize)
        let bsz = streams
        model.parameters.withUnsafeBufferPointer { pbuf in
            let p = pbuf.baseAddress!
            for b in 0 ..< bsz {
                precondition(tokens[b] >= 0 && Int(tokens[b]) < v, "token out of range")
                (x.p + b * e).update(from: p + model.offsets.embedding + Int(tokens[b]) * e, count: e)
            }
            var input = UnsafePointer(x.p)
            for (l, o) in model.offsets.layers.enumerated() {
                for b in 0 ..< bsz { (gates.p + b * 4 * hd).update(from: bias[l].p, count: 4 * hd) }
                // gates = bias + x·W_ihᵀ + h·W_hhᵀ
                if bsz == 1 {
                    BLAS.sgemv(.none, m: 4 * hd, n: o.input, alpha: 1, a: p + o.wih, lda: o.input, x: input, beta: 1, y: gates.p)
                } else {
                    BLAS.sgemm(.none, .transpose, m: bsz, n: 4 * hd, k: o.input, alpha: 1, a: input, lda: o.input,
                               b: p + o.wih, ldb: o.input, beta: 1, c: gates.p, ldc: 4 * hd)
                }
                model.recurrentForward(l, p, h: h[l].p, gates: gates.p, batch: bsz) // reference path: OpenBLAS
                // In place: the cell reads c and h's old values before writing the new ones.
                cellForward(gates: gates.p, cPrev: c[l].p, c: c[l].p, tanhC: tanhC.p, h: h[l].p, batch: bsz, hidden: hd)
                input = UnsafePointer(h[l].p)
            }
            for b in 0 ..< bsz { (logits.p + b * v).update(from: p + model.offsets.fcBias, count: v) }
            if bsz == 1 {
                BLAS.sgemv(.none, m: v, n: hd, alpha: 1, a: p + model.offsets.fcWeight, lda: hd, x: input, beta: 1, y: logits.p)
            } else {
                BLAS.sgemm(.none, .transpose, m: bsz, n: v, k: hd, alpha: 1, a: input, lda: hd,
                           b: p + model.offsets.fcWeight, ldb: hd, beta: 1, c: logits.p, ldc: v)
            }
        }
    }

    /// `step` on the fast path.
    private func packedStep(_ tokens: [Int32]) {
        let s = model.shape
        let (v, hd) = (s.vocabularySize, s.hiddenSize)
        let bsz = streams, threads = model.kernelThreads
        model.inputTable.withUnsafeBufferPointer { table in
            for b in 0 ..< bsz {
                precondition(tokens[b] >= 0 && Int(tokens[b]) < v, "token out of range")
                (gates.p + b * 4 * hd).update(from: table.baseAddress! + Int(tokens[b]) * 4 * hd, count: 4 * hd)
            }
        }
        for l in 0 ..< s.layers {
            if l > 0 {
                // gates = (b_ih + b_hh) + h_{l−1}·W_ihᵀ
                for b in 0 ..< bsz { (gates.p + b * 4 * hd).update(from: bias[l].p, count: 4 * hd) }
                packedMultiply(h[l - 1].p, rows: bsz, inputPacks[l - 1], into: gates.p, accumulate: true, threads: threads)
            }
            packedMultiply(h[l].p, rows: bsz, model.recurrentPacks[l], into: gates.p, accumulate: true, threads: threads)
            // In place: the product above has read h; the cell reads c before writing it.
            lstmCellForward(batch: bsz, hidden: hd, gates: gates.p, cellIn: c[l].p, cellOut: c[l].p, hiddenOut: h[l].p, tanhCell: nil)
        }
        model.parameters.withUnsafeBufferPointer { pbuf in
            for b in 0 ..< bsz { (logits.p + b * v).update(from: pbuf.baseAddress! + model.offsets.fcBias, count: v) }
        }
        packedMultiply(h[s.layers - 1].p, rows: bsz, outputPack!, into: logits.p, accumulate: true, threads: threads)
    }

    /// Feeds a whole prime to every stream in lockstep (same tokens for all streams).
    public func prime(_ tokens: [Int32]) {
        var row = [Int32](repeating: 0, count: streams)
        for t in tokens {
            for b in 0 ..< streams { row[b] = t }
            step(row)
        }
    }

    /// The logits of stream `stream` after the last `step`, [V].
    public func logits(stream: Int) -> [Float] {
        let v = model.shape.vocabularySize
        return Array(UnsafeBufferPointer(start: logits.p + stream * v, count: v))
    }

    /// Next-character probabilities of `stream` at `temperature` (softmax of logits/temperature;
    /// temperature ≤ 0 gives a one-hot argmax), [V]. Writes into `out` (resized to V).
    public func probabilities(stream: Int, temperature: Float = 1, into out: inout [Float]) {
        let v = model.shape.vocabularySize
        if out.count != v { out = [Float](repeating: 0, count: v) }
        let z = logits.p + stream * v
        if temperature <= 0 {
            var best = 0
            for j in 1 ..< v where z[j] > z[best] { best = j }
            for j in 0 ..< v { out[j] = j == best ? 1 : 0 }
            return
        }
        out.withUnsafeMutableBufferPointer { _ = Elementwise.softmax(z, into: $0.baseAddress!, count: v, temperature: temperature) }
    }

    /// `probabilities(stream:temperature:into:)` of the mixture with `matchModel` given the stream's
    /// `match`: mixed at temperature 1, then raised to 1/temperature (the argmax when ≤ 0), so
    /// the temperature acts on the model's distribution as a whole. Without a match (or a weight
    /// of 0 for it) exactly the LSTM's probabilities.
    func mixedProbabilities(stream: Int, temperature: Float, match: MatchTracker.Match?, into out: inout [Float]) {
        guard let matchModel, matchModel.weight(match) > 0 else {
            return probabilities(stream: stream, temperature: temperature, into: &out)
        }
        probabilities(stream: stream, temperature: 1, into: &out)
        matchModel.mix(&out, match: match)
        if temperature <= 0 {
            let best = out.indices.max { out[$0] < out[$1] || (out[$0] == out[$1] && $0 > $1) }!
            for j in out.indices { out[j] = j == best ? 1 : 0 }
        } else if temperature != 1 {
            var total: Float = 0
            for j in out.indices { out[j] = Foundation.pow(out[j], 1 / temperature); total += out[j] }
            if total > 0 { for j in out.indices { out[j] /= total } }
        }
    }

    /// Convenience: a fresh probability array for `stream`.
    public func probabilities(stream: Int, temperature: Float = 1) -> [Float] {
        var out: [Float] = []
        probabilities(stream: stream, temperature: temperature, into: &out)
        return out
    }

    /// Draws an index from `probabilities` (need not sum to 1; zeros are never drawn) after
    /// keeping only the top-k and/or the top-p mass. Nil if every entry is zero.
    public func draw(from probabilities: [Float], topK: Int? = nil, topP: Float? = nil, rng: inout SeededGenerator) -> Int32? {
        Sampler.draw(from: probabilities, topK: topK, topP: topP, order: &order, rng: &rng)
    }

    static func draw(from q: [Float], topK: Int?, topP: Float?, order: inout [Int32], rng: inout SeededGenerator) -> Int32? {
        let v = q.count
        var total: Float = 0
        for j in 0 ..< v { total += max(0, q[j]) }
        guard total > 0, total.isFinite else { return nil }
        if topK == nil && topP == nil {
            var u = rng.nextUnitFloat() * total
            var last = -1
            for j in 0 ..< v where q[j] > 0 {
                last = j
                u -= q[j]
                if u < 0 { return Int32(j) }
            }
            return Int32(last) // rounding: the mass ran out a hair early
        }
        // Most probable first (ties by index, so the order is deterministic).
        if order.count != v { order = (0 ..< Int32(v)).map { $0 } }
        for j in 0 ..< v { order[j] = Int32(j) }
        order.sort { q[Int($0)] > q[Int($1)] || (q[Int($0)] == q[Int($1)] && $0 < $1) }
        var keep = v
        if let k = topK { keep = max(1, min(keep, k)) }
        if let p = topP {
            var mass: Float = 0
            var n = 0
            while n < keep {
                mass += max(0, q[Int(order[n])])
                n += 1
                if mass >= p * total { break }
            }
            keep = n
        }
        var kept: Float = 0
        for n in 0 ..< keep { kept += max(0, q[Int(order[n])]) }
        guard kept > 0 else { return nil }
        var u = rng.nextUnitFloat() * kept
        for n in 0 ..< keep {
            let j = Int(order[n])
            guard q[j] > 0 else { continue }
            u -= q[j]
            if u < 0 { return Int32(j) }
        }
        return order[max(0, keep - 1)]
    }

    /// Generates one continuation per stream. Stream b starts from zero state, reads
    /// `primes[b]` (non-empty, every character in the vocabulary; `primes.count == streams`),
    /// then draws up to `options.maxLength` characters until its text ends with `options.stop`
    /// or `shouldStop(b, text)` says so. `adjust(b, text, &probabilities)` may zero entries
    /// (for example characters that cannot continue valid ABC) before each draw; then `constraint`
    /// masks what it forbids (the mass it removed is in `constraintStatistics`); a stream whose
    /// probabilities are all zero stops. Returns the generated texts, primes not included.
    public func generate(
        primes: [String], vocabulary: Vocabulary, options: SamplingOptions, rng: inout SeededGenerator,
        adjust: ((_ stream: Int, _ text: String, _ probabilities: inout [Float]) -> Void)? = nil,
        constraint: SamplingConstraint? = nil,
        shouldStop: ((_ stream: Int, _ text: String) -> Bool)? = nil
    ) -> [String] {
        precondition(primes.count == streams, "one prime per stream")
        precondition(vocabulary.count == model.shape.vocabularySize, "vocabulary does not match the model")
        let encoded = primes.map { p -> [Int32] in
            guard let ids = vocabulary.encode(p), !ids.isEmpty else { preconditionFailure("prime \(p.debugDescription) is empty or has unknown characters") }
            return ids
        }
        return BLAS.withThreads(model.usesPackedKernels ? nil : model.recurrentThreads) {
            generateLocked(encoded: encoded, vocabulary: vocabulary, options: options, rng: &rng, adjust: adjust,
                           constraint: constraint, shouldStop: shouldStop)
        }
    }

    private func generateLocked(
        encoded: [[Int32]], vocabulary: Vocabulary, options: SamplingOptions, rng: inout SeededGenerator,
        adjust: ((_ stream: Int, _ text: String, _ probabilities: inout [Float]) -> Void)?,
        constraint: SamplingConstraint?,
        shouldStop: ((_ stream: Int, _ text: String) -> Bool)?
    ) -> [String] {
        constraintStatistics = ConstraintStatistics(removedMass: Array(repeating: 0, count: streams), draws: Array(repeating: 0, count: streams))
        reset()
        if Set(encoded).count == 1 {
            prime(encoded[0])
        } else {
            // Different primes: run each alone and gather the states.
            let single = Sampler(model: model, streams: 1)
            var gathered = LSTMState.zeros(layers: model.shape.layers, batch: streams, hidden: model.shape.hiddenSize)
            let (hd, nl) = (model.shape.hiddenSize, model.shape.layers)
            for (b, ids) in encoded.enumerated() {
                single.reset()
                single.prime(ids)
                let s = single.state
                for l in 0 ..< nl {
                    for j in 0 ..< hd {
                        gathered.h[(l * streams + b) * hd + j] = s.h[l * hd + j]
                        gathered.c[(l * streams + b) * hd + j] = s.c[l * hd + j]
                    }
                }
                let v = model.shape.vocabularySize
                (logits.p + b * v).update(from: single.logits.p, count: v)
            }
            state = gathered
        }
        var trackers = [MatchTracker](repeating: MatchTracker(), count: matchModel == nil ? 0 : streams)
        for b in trackers.indices { for t in encoded[b] { trackers[b].append(t) } }
        var texts = [String](repeating: "", count: streams)
        var lengths = [Int](repeating: 0, count: streams)
        var done = [Bool](repeating: options.maxLength <= 0, count: streams)
        var next = [Int32](repeating: 0, count: streams)
        while !done.allSatisfy({ $0 }) {
            for b in 0 ..< streams where !done[b] {
                mixedProbabilities(stream: b, temperature: options.temperature, match: trackers.isEmpty ? nil : trackers[b].match, into: &scratch)
                adjust?(b, texts[b], &scratch)
                if let constraint {
                    constraintStatistics.draws[b] += 1
                    if let allowed = constraint.allowed(stream: b) {
                        precondition(allowed.count == scratch.count, "a constraint's mask has one entry per character")
                        var total: Float = 0, removed: Float = 0
                        for j in scratch.indices {
                            total += scratch[j]
                            if !allowed[j] { removed += scratch[j]; scratch[j] = 0 }
                        }
                        if total > 0 { constraintStatistics.removedMass[b] += Double(removed / total) }
                        if total - removed <= 0 {
                            // Every allowed character underflowed to zero: draw among them from the logits.
                            let v = model.shape.vocabularySize
                            let z = logits.p + b * v
                            var top = -Float.infinity
                            for j in 0 ..< v where allowed[j] { top = max(top, z[j]) }
                            for j in 0 ..< v where allowed[j] {
                                scratch[j] = options.temperature > 0 ? Elementwise.exp((z[j] - top) / options.temperature) : (z[j] == top ? 1 : 0)
                            }
                        }
                    }
                }
                guard let tok = draw(from: scratch, topK: options.topK, topP: options.topP, rng: &rng) else {
                    done[b] = true
                    continue
                }
                constraint?.didDraw(stream: b, token: tok)
                if !trackers.isEmpty { trackers[b].append(tok) }
                next[b] = tok
                texts[b].unicodeScalars.append(vocabulary.symbols[Int(tok)])
                lengths[b] += 1
                if lengths[b] >= options.maxLength
                    || (options.stop.map { !$0.isEmpty && texts[b].hasSuffix($0) } ?? false)
                    || (shouldStop?(b, texts[b]) ?? false) {
                    done[b] = true
                }
            }
            if done.allSatisfy({ $0 }) { break }
            step(next)
        }
        return texts
    }
}
