// Trainer: the training story, top to bottom. One step is
//   batch → forward → zero grads → backward → clip → update → stats,
// and `evaluate` scores held-out text in bits per character. A step whose loss or gradient is
// not finite is not applied (parameters and Adam state untouched) and is reported as skipped.
// Everything needed to resume exactly is the weights and a `TrainingState`.
import Foundation
import Linalg

/// Training hyperparameters (one Codable config, saved with the checkpoint).
public struct TrainerConfig: Sendable, Hashable, Codable {
    /// B streams per batch.
    public var batch: Int = 8
    /// T time steps per window (BPTT length).
    public var steps: Int = 100
    public var optimizer: AdamConfig = AdamConfig()
    /// Global-norm clip threshold; nil disables clipping. Default 5.
    public var clipNorm: Float? = 5
    /// Random windows (the reference), or streams walking whole tunes with carried state.
    public var batchMode: Batcher.Mode = .random
    /// Seed of the batch and dropout generators.
    public var seed: UInt64 = 0
    /// Dropout between stacked LSTM layers (0: off, the default; no effect with one layer).
    public var dropout: Float = 0

    public init(batch: Int = 8, steps: Int = 100, optimizer: AdamConfig = AdamConfig(), clipNorm: Float? = 5,
                batchMode: Batcher.Mode = .random, seed: UInt64 = 0, dropout: Float = 0) {
        (self.batch, self.steps, self.optimizer, self.clipNorm, self.batchMode, self.seed, self.dropout) =
            (batch, steps, optimizer, clipNorm, batchMode, seed, dropout)
    }
}

/// What one step did.
public struct StepStats: Sendable {
    /// Adam steps applied so far (after this one).
    public var step: Int
    /// Mean cross-entropy of the batch in nats (before the update). Bits/char = loss / ln 2.
    public var loss: Float
    /// Global gradient norm before clipping.
    public var gradientNorm: Float
    /// Characters predicted (B·T, less padding).
    public var characters: Int
    /// False when the loss or gradient was not finite and the update was skipped.
    public var applied: Bool
    /// Learning rate used (before bias correction).
    public var learningRate: Float
    /// The loss in bits per character (nats / ln 2).
    public var bitsPerCharacter: Float { loss / Float(M_LN2) }
}

/// Everything beyond the weights that training needs to continue bit for bit: the one
/// resumable-state type, held by the trainer and stored in a checkpoint (see `Checkpoint`).
public struct TrainingState: Sendable, Equatable, Codable {
    /// Adam's moments (parameter layout) and step count.
    public var adam: AdamState
    /// The batcher's generator words and position.
    public var batcher: BatcherState
    /// The dropout generator's four state words.
    public var dropoutRNG: [UInt64]
    /// (h, c) carried into the next window, [L, B, H] each; nil when the next window starts from zeros.
    public var carried: LSTMState?

    public init(adam: AdamState, batcher: BatcherState, dropoutRNG: [UInt64], carried: LSTMState? = nil) {
        (self.adam, self.batcher, self.dropoutRNG, self.carried) = (adam, batcher, dropoutRNG, carried)
    }
}

public final class Trainer {
    public private(set) var model: CharLSTM
    /// The optimizer; its config (learning rate) may be changed between steps, e.g. to recover from divergence.
    public var adam: Adam
    public private(set) var batcher: Batcher
    public let config: TrainerConfig
    /// Gradients in the parameter layout; reused every step.
    public private(set) var gradients: [Float]
    private var carried: LSTMState?
    private var dropoutRNG: SeededGenerator
    private let cache: ForwardCache
    /// Data-parallel training (DataParallel.swift): sums gradients over processes; nil alone.
    public let reducer: GradientReducer?
    /// The streams of each batch this process computes (all of them without a reducer).
    public let share: Range<Int>

    /// A trainer for `model` on the encoded training text `tokens`; with a `reducer`, one of
    /// several processes training it together, each on its share of every batch. In tunes mode
    /// `tuneStarts` gives the offset where each tune begins (see `Batcher`).
    public init(model: CharLSTM, tokens: [Int32], config: TrainerConfig, reducer: GradientReducer? = nil, tuneStarts: [Int] = []) {
        self.model = model
        self.config = config
        adam = Adam(config: config.optimizer, parameterCount: model.parameters.count)
        batcher = Batcher(tokens: tokens, batch: config.batch, steps: config.steps, mode: config.batchMode, seed: config.seed,
                          tuneStarts: tuneStarts)
        gradients = [Float](repeating: 0, count: model.parameters.count)
        self.reducer = reducer
        share = reducer?.share(ofBatch: config.batch) ?? 0 ..< config.batch
        cache = ForwardCache(shape: model.shape, batch: share.count, steps: config.steps)
        dropoutRNG = SeededGenerator(seed: config.seed ^ 0xD209_0D20_90D2_090D)
    }

    /// One training step.
    public func step() -> StepStats {
        // 1. Batch (and, in tunes mode, the state carried from the previous window, zero for
        // the streams that start a new tune). Every process draws the whole batch (the same
        // generator) and computes its own streams.
        let whole = batcher.next()
        let batch = reducer == nil ? whole : whole.streams(share)
        let initial = carriedInto(batch)
        let learningRate = adam.currentLearningRate
        // 2. Forward.
        let dropoutSeed = config.dropout > 0 ? dropoutRNG.next() ^ (UInt64(share.lowerBound) &* 0x9E37_79B9_7F4A_7C15) : 0
        let (localLoss, final) = model.forward(inputs: batch.inputs, targets: batch.targets, initial: initial, cache: cache,
                                               dropout: config.dropout, dropoutSeed: dropoutSeed)
        // 3. Zero grads. 4. Backward (not on a non-finite loss).
        gradients.withUnsafeMutableBufferPointer { $0.update(repeating: 0) } // one memset, not a checked loop
        if localLoss.isFinite { model.backward(cache: cache, gradients: &gradients) }
        // 4b. Data-parallel: the whole batch's gradient and loss, the same on every process (every
        // process gets here every step, so a non-finite loss anywhere is skipped everywhere). Each
        // share weighs by its targets (B_r·T of B·T in windows mode: the same ratio, the same bits).
        let loss = reducer?.reduce(gradients: &gradients, loss: localLoss, streams: batch.targetCount, of: whole.targetCount) ?? localLoss
        var stats = StepStats(step: adam.state.step, loss: loss, gradientNorm: .nan, characters: whole.targetCount,
                              applied: false, learningRate: learningRate)
        guard loss.isFinite else { carried = nil; return stats }
        // 5. Clip (the norm is measured either way; a non-finite norm means a bad gradient).
        let profile = model.profile
        let norm = timed(profile, .update) {
            config.clipNorm.map { GradientClipping.clip(&gradients, maxNorm: $0) } ?? GradientClipping.globalNorm(gradients)
        }
        stats.gradientNorm = norm
        guard norm.isFinite else { carried = nil; return stats }
        // 6. Update. The model repacks W_hh in the same pass, and writing its parameters rebuilds
        // the rest of what derives from them, so the next forward pass cannot run on stale packs.
        if let profile {
            profile.measure(.update, excluding: .repack) { model.update(with: &adam, gradients: gradients) }
        } else {
            model.update(with: &adam, gradients: gradients)
        }
        carried = config.batchMode == .tunes ? final : nil
        stats.step = adam.state.step
        stats.applied = true
        return stats
    }

    /// The state a batch starts from: nil (zeros) when every stream resets, else the carried
    /// state with the resetting streams' rows zeroed.
    private func carriedInto(_ batch: Batch) -> LSTMState? {
        guard var s = carried, batch.resets.contains(false) else { return nil }
        let (B, H) = (s.batch, s.hidden)
        for l in 0 ..< s.layers {
            for b in 0 ..< B where batch.resets[b] {
                for j in 0 ..< H { s.h[(l * B + b) * H + j] = 0; s.c[(l * B + b) * H + j] = 0 }
            }
        }
        return s
    }

    /// Bits per character of the model on `tokens` (held-out text): the text is split into
    /// `streams` contiguous segments run side by side in windows of `steps`, carrying state,
    /// each character predicted from everything before it in its segment. Does not train.
    public func evaluate(_ tokens: [Int32], streams: Int = 8, steps: Int = 100) -> Double {
        Self.bitsPerCharacter(model: model, tokens: tokens, streams: streams, steps: steps)
    }

    /// See `evaluate`. Usable without a trainer.
    public static func bitsPerCharacter(model: CharLSTM, tokens: [Int32], streams: Int = 8, steps: Int = 100) -> Double {
        precondition(tokens.count >= 2, "need at least two characters to evaluate")
        let b = max(1, min(streams, (tokens.count - 1) / max(1, steps)))
        let segment = (tokens.count - 1) / b
        var nats = 0.0
        var counted = 0
        var state: LSTMState? = nil
        var start = 0
        var cache = ForwardCache(shape: model.shape, batch: b, steps: min(steps, segment))
        while start < segment {
            let t = min(steps, segment - start)
            if cache.steps != t { cache = ForwardCache(shape: model.shape, batch: b, steps: t) } // the last, shorter window
            var x = [Int32](repeating: 0, count: b * t), y = x
            for s in 0 ..< b {
                for k in 0 ..< t {
                    x[s * t + k] = tokens[s * segment + start + k]
                    y[s * t + k] = tokens[s * segment + start + k + 1]
                }
            }
            let (loss, final) = model.forward(inputs: x, targets: y, initial: state, cache: cache)
            nats += Double(loss) * Double(b * t)
            counted += b * t
            state = final
            start += t
        }
        return nats / Double(counted) / log(2.0)
    }

    /// Bits per character of the model on held-out `tunes` (each a token sequence), every tune
    /// read from a zero state as `--batching tunes` trains: each character after a tune's first is
    /// predicted from the tune's earlier characters only. Tunes of similar length run side by
    /// side, `streams` at a time, in windows of `steps` (padding beyond a tune's end counts for
    /// nothing). Tunes shorter than two tokens are skipped; NaN when nothing is left to score.
    public static func bitsPerCharacter(model: CharLSTM, tunes: [[Int32]], streams: Int = 8, steps: Int = 100) -> Double {
        var nats = 0.0, counted = 0
        forEachTuneWindow(model: model, tunes: tunes, streams: streams, steps: steps) { _, _, cache, loss in
            nats += Double(loss) * Double(cache.targetCount)
            counted += cache.targetCount
        }
        return counted > 0 ? nats / Double(counted) / log(2.0) : .nan
    }

    /// Runs `tunes` through `model` each from a zero state, as whole-tune validation reads them:
    /// tunes of two tokens or more, shortest first, `streams` side by side, in windows of `steps`
    /// with the state carried; a tune's token k+1 is the target of its token k (−1, padding, past
    /// its end). `body` sees each window: the tune indices of the group (stream s is group[s]),
    /// the window's first position, the filled cache and the forward pass's mean loss.
    static func forEachTuneWindow(model: CharLSTM, tunes: [[Int32]], streams: Int, steps: Int,
                                  _ body: (_ group: [Int], _ start: Int, _ cache: ForwardCache, _ loss: Float) -> Void) {
        let order = tunes.indices.filter { tunes[$0].count >= 2 }.sorted { (tunes[$0].count, $0) < (tunes[$1].count, $1) }
        var first = 0
        while first < order.count {
            let group = Array(order[first ..< min(order.count, first + max(1, streams))])
            first += group.count
            let (b, length) = (group.count, group.map { tunes[$0].count - 1 }.max()!)
            var state: LSTMState? = nil
            var start = 0
            while start < length {
                let t = min(steps, length - start)
                let cache = ForwardCache(shape: model.shape, batch: b, steps: t)
                var x = [Int32](repeating: 0, count: b * t), y = [Int32](repeating: -1, count: b * t)
                for (s, i) in group.enumerated() {
                    for k in 0 ..< t where start + k + 1 < tunes[i].count {
                        x[s * t + k] = tunes[i][start + k]
                        y[s * t + k] = tunes[i][start + k + 1]
                    }
                }
                let (loss, final) = model.forward(inputs: x, targets: y, initial: state, cache: cache)
                body(group, start, cache, loss)
                state = final
                start += t
            }
        }
    }

    /// The training state beyond the weights (`model.parameters`), for a checkpoint.
    public var state: TrainingState {
        TrainingState(adam: adam.state, batcher: batcher.state, dropoutRNG: dropoutRNG.state, carried: carried)
    }

    /// What is wrong with `s` for this trainer (a state read from an untrusted file), or nil.
    public func problem(with s: TrainingState) -> String? {
        let n = model.parameters.count
        guard s.adam.m.count == n, s.adam.v.count == n, s.dropoutRNG.count == 4 else { return "the optimizer state is for another model" }
        if let c = s.carried, c.layers != model.shape.layers || c.batch != config.batch || c.hidden != model.shape.hiddenSize {
            return "the carried state is [\(c.layers), \(c.batch), \(c.hidden)], this run needs [\(model.shape.layers), \(config.batch), \(model.shape.hiddenSize)]"
        }
        return batcher.problem(with: s.batcher).map { "the data position: \($0)" }
    }

    /// Restores weights and a state taken from `state` (same model shape and config; see `problem(with:)`).
    public func restore(parameters: [Float], state s: TrainingState) {
        precondition(parameters.count == model.parameters.count, "state is for another model")
        precondition(s.adam.m.count == parameters.count && s.adam.v.count == parameters.count)
        model.parameters = parameters
        adam.state = s.adam
        batcher.state = s.batcher
        carried = s.carried
        dropoutRNG.state = s.dropoutRNG
    }
}
