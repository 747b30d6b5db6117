// Adam with bias correction and global-norm gradient clipping, over the one flat buffer:
// parameters, gradients and both moments share the parameter layout, so each is one loop.
//
// Epsilon placement is Keras's (the reference's, "epsilon hat" of the Adam paper): at step t,
//   m ← β1·m + (1−β1)·g,  v ← β2·v + (1−β2)·g²
//   θ ← θ − lr_t · m / (√v + ε),   lr_t = lr(t) · √(1−β2^t) / (1−β1^t)
// PyTorch instead divides by (√v̂ + ε) after correcting v; the two differ only while √v ~ ε.
import Foundation
import Linalg

/// How the learning rate changes with the step number t (1-based).
public enum LearningRateSchedule: Sendable, Hashable, Codable {
    /// lr(t) = lr.
    case constant
    /// Linear warm-up over `warmup` steps, then cosine from lr to lr·floor at `total`.
    case cosine(warmup: Int, total: Int, floor: Float)

    /// The learning rate at 1-based step `t` for base rate `lr`.
    public func rate(_ lr: Float, step t: Int) -> Float {
        switch self {
        case .constant:
            return lr
        case let .cosine(warmup, total, floor):
            if t <= warmup { return lr * Float(t) / Float(max(1, warmup)) }
            let progress = min(1, Double(t - warmup) / Double(max(1, total - warmup)))
            let cosine = 0.5 * (1 + cos(Double.pi * progress))
            return lr * Float(Double(floor) + (1 - Double(floor)) * cosine)
        }
    }
}

/// Adam's hyperparameters. Defaults are the reference's (Keras): lr 5e-3, β1 0.9, β2 0.999, ε 1e-7.
public struct AdamConfig: Sendable, Hashable, Codable {
    public var learningRate: Float = 5e-3
    public var beta1: Float = 0.9
    public var beta2: Float = 0.999
    public var epsilon: Float = 1e-7
    public var schedule: LearningRateSchedule = .constant

    public init(learningRate: Float = 5e-3, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-7,
                schedule: LearningRateSchedule = .constant) {
        (self.learningRate, self.beta1, self.beta2, self.epsilon, self.schedule) = (learningRate, beta1, beta2, epsilon, schedule)
    }
}

/// Adam's moving moments (same layout as the parameters) and the number of updates applied.
public struct AdamState: Sendable, Equatable, Codable {
    /// First moment, one float per parameter.
    public var m: [Float]
    /// Second moment, one float per parameter.
    public var v: [Float]
    /// Updates applied so far (the next update is step + 1).
    public var step: Int

    public init(parameterCount n: Int) {
        m = [Float](repeating: 0, count: n)
        v = m
        step = 0
    }

    public init(m: [Float], v: [Float], step: Int) {
        precondition(m.count == v.count && step >= 0)
        (self.m, self.v, self.step) = (m, v, step)
    }
}

/// The optimizer: configuration plus state.
public struct Adam: Sendable {
    public var config: AdamConfig
    public var state: AdamState

    public init(config: AdamConfig = AdamConfig(), parameterCount: Int) {
        self.config = config
        state = AdamState(parameterCount: parameterCount)
    }

    /// The learning rate the next update will use (before bias correction).
    public var currentLearningRate: Float { config.schedule.rate(config.learningRate, step: state.step + 1) }

    /// One Adam update of `parameters` with `gradients` (both in the parameter layout).
    public mutating func update(parameters: inout [Float], gradients: [Float]) {
        var none: [PackedWeights] = []
        update(parameters: &parameters, gradients: gradients, packing: &none, at: [])
    }

    /// One Adam update, as `update(parameters:gradients:)`, with each W [rows, columns] at
    /// `offsets[i]` repacked into `packs[i]` in the same pass (see `AdamKernel`): the same
    /// parameters, state and packs as updating and then packing, without reading W again.
    public mutating func update(parameters: inout [Float], gradients: [Float], packing packs: inout [PackedWeights], at offsets: [Int]) {
        precondition(parameters.count == state.m.count && gradients.count == parameters.count, "Adam: layout mismatch")
        precondition(packs.count == offsets.count, "Adam: one offset per pack")
        state.step += 1
        let (b1, b2, eps, lrT) = (config.beta1, config.beta2, config.epsilon, correctedRate)
        let regions = offsets.indices.sorted { offsets[$0] < offsets[$1] }
        parameters.withUnsafeMutableBufferPointer { p in
            state.m.withUnsafeMutableBufferPointer { m in
                state.v.withUnsafeMutableBufferPointer { v in
                    gradients.withUnsafeBufferPointer { g in
                        let (pp, mp, vp, gp) = (p.baseAddress!, m.baseAddress!, v.baseAddress!, g.baseAddress!)
                        var cursor = 0
                        for i in regions {
                            let (start, size) = (offsets[i], packs[i].rows * packs[i].columns)
                            precondition(start >= cursor && start + size <= p.count, "Adam: packed regions overlap or overrun")
                            Self.update(p: pp + cursor, m: mp + cursor, v: vp + cursor, g: gp + cursor, count: start - cursor,
                                        b1: b1, b2: b2, eps: eps, lrT: lrT)
                            AdamKernel.update(p: pp + start, m: mp + start, v: vp + start, g: gp + start,
                                              b1: b1, b2: b2, eps: eps, lrT: lrT, packing: &packs[i])
                            cursor = start + size
                        }
                        Self.update(p: pp + cursor, m: mp + cursor, v: vp + cursor, g: gp + cursor, count: p.count - cursor,
                                    b1: b1, b2: b2, eps: eps, lrT: lrT)
                    }
                }
            }
        }
    }

    /// lr(t)·√(1−β2^t)/(1−β1^t) for the current `state.step` (already incremented).
    private var correctedRate: Float {
        let t = Double(state.step)
        return Float(Double(config.schedule.rate(config.learningRate, step: state.step))
            * (1 - pow(Double(config.beta2), t)).squareRoot() / (1 - pow(Double(config.beta1), t)))
    }

    /// The update rule: Linalg's kernel (AVX-512 when the CPU has it, both cores on large
    /// buffers). Each lane does exactly the scalar arithmetic (IEEE operations are lane-wise
    /// exact and none is fused), so results are bit-identical to the plain loop, which
    /// `updateReference` keeps as the twin the tests compare against.
    static func update(p: UnsafeMutablePointer<Float>, m: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>,
                       g: UnsafePointer<Float>, count: Int, b1: Float, b2: Float, eps: Float, lrT: Float) {
        AdamKernel.update(p: p, m: m, v: v, g: g, count: count, b1: b1, b2: b2, eps: eps, lrT: lrT)
    }

    /// The plain loop: the definition of the update.
    static func updateReference(p: UnsafeMutablePointer<Float>, m: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>,
                                g: UnsafePointer<Float>, count: Int, b1: Float, b2: Float, eps: Float, lrT: Float) {
        for i in 0 ..< count {
            let gi = g[i]
            m[i] = b1 * m[i] + (1 - b1) * gi
            v[i] = b2 * v[i] + (1 - b2) * gi * gi
            p[i] -= lrT * m[i] / (v[i].squareRoot() + eps)
        }
    }
}

/// Gradient clipping by global norm.
public enum GradientClipping {
    /// The L2 norm of all of `gradients` (accumulated in Double). NaN/∞ if any entry is.
    public static func globalNorm(_ gradients: [Float]) -> Float {
        // Eight independent Double accumulators: the squares of Floats are exact in Double, and
        // eight chains instead of one keep the adder busy (one chain waits on every add).
        gradients.withUnsafeBufferPointer { g in
            var acc = SIMD8<Double>()
            let vectors = g.count / 8
            for k in 0 ..< vectors {
                let base = k * 8
                let x = SIMD8<Double>(Double(g[base]), Double(g[base + 1]), Double(g[base + 2]), Double(g[base + 3]),
                                      Double(g[base + 4]), Double(g[base + 5]), Double(g[base + 6]), Double(g[base + 7]))
                acc += x * x
            }
            var sum = acc.sum()
            for i in vectors * 8 ..< g.count { sum += Double(g[i]) * Double(g[i]) }
            return Float(sum.squareRoot())
        }
    }

    /// Scales `gradients` so their global norm is at most `maxNorm`; returns the norm before.
    @discardableResult
    public static func clip(_ gradients: inout [Float], maxNorm: Float) -> Float {
        let norm = globalNorm(gradients)
        if norm.isFinite && norm > maxNorm {
            let scale = maxNorm / norm
            gradients.withUnsafeMutableBufferPointer { g in
                for i in 0 ..< g.count { g[i] *= scale }
            }
        }
        return norm
    }
}
