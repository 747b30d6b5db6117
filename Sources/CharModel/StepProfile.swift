// StepProfile: where a training step's time goes, phase by phase, for `tunegen bench`. A model
// with a profile attached (`CharLSTM.profile`) adds the wall time of each phase of its passes and
// of the trainer's update to it; without one (the default) nothing is timed. One clock read
// (~20 ns) per phase boundary: the time loop's 4 boundaries per step cost < 0.1% of a ref step.
import Foundation

/// Accumulated seconds per phase of training steps.
public final class StepProfile: @unchecked Sendable {
    /// The phases of one training step, in the order they run.
    public enum Phase: Int, CaseIterable, Sendable, Codable {
        /// Layer 0's input table gather, or the input-projection GEMM, and the embedding.
        case inputProjection
        /// gates += h·W_hhᵀ, once per time step.
        case recurrentForward
        /// The LSTM cell's elementwise forward, once per time step.
        case cellForward
        /// The output layer and softmax cross-entropy, forward and backward.
        case outputLayer
        /// The cell's elementwise backward, once per time step.
        case cellBackward
        /// dh = dGates·W_hh, once per time step.
        case recurrentBackward
        /// dW_hh, dW_ih (or the input table's backward), the biases and the gradient reaching a
        /// layer's input: GEMMs over all steps.
        case weightGradients
        /// Gradient norm, clipping and the Adam update of every parameter (which packs W_hh as it goes).
        case update
        /// Rebuilding what is derived from the parameters after the update (the input table; the
        /// packed W_hh too, outside training's fused update).
        case repack

        public var name: String {
            switch self {
            case .inputProjection: return "input projection"
            case .recurrentForward: return "recurrent products, forward"
            case .cellForward: return "cell, forward"
            case .outputLayer: return "output layer"
            case .cellBackward: return "cell, backward"
            case .recurrentBackward: return "recurrent products, backward"
            case .weightGradients: return "weight and input gradients"
            case .update: return "clip and Adam"
            case .repack: return "rebuild input table"
            }
        }
    }

    /// Seconds spent in each phase (indexed by `Phase.rawValue`) since the last `reset`.
    public private(set) var seconds = [Double](repeating: 0, count: Phase.allCases.count)

    public init() {}

    /// Forgets everything measured.
    public func reset() { seconds = [Double](repeating: 0, count: Phase.allCases.count) }

    /// Adds the time `body` takes to `phase`.
    @inline(__always)
    public func measure<R>(_ phase: Phase, _ body: () throws -> R) rethrows -> R {
        let t0 = Self.now()
        defer { seconds[phase.rawValue] += Self.now() - t0 }
        return try body()
    }

    /// Adds the time `body` takes to `phase`, less what it spent in `inner` phases it measured
    /// itself (so nested phases are not counted twice).
    public func measure<R>(_ phase: Phase, excluding inner: Phase, _ body: () throws -> R) rethrows -> R {
        let before = seconds[inner.rawValue]
        let result = try measure(phase, body)
        seconds[phase.rawValue] -= seconds[inner.rawValue] - before
        return result
    }

    /// Seconds on the monotonic clock.
    @inline(__always)
    static func now() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
    }
}

/// Runs `body`, adding its time to `phase` of `profile` when there is one.
@inline(__always)
func timed<R>(_ profile: StepProfile?, _ phase: StepProfile.Phase, _ body: () throws -> R) rethrows -> R {
    guard let profile else { return try body() }
    return try profile.measure(phase, body)
}
