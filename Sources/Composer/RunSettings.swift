// RunSettings: everything that defines a training run (preset, then the user's overrides),
// saved in every checkpoint as its hyperparameters so `--resume` and `generate` need no flags.
import CharModel
import Linalg
import Foundation

/// Learning-rate schedule a run may ask for.
public enum ScheduleChoice: String, Codable, Sendable, CaseIterable { case constant, cosine }

/// Named sets of hyperparameters. Flags given alongside a preset override its values.
public enum Preset: String, CaseIterable, Codable, Sendable {
    /// The MIT 6.S191 lab's run: E 256, H 1024, L 1, B 8, T 100, Adam lr 5e-3, 3000 iterations,
    /// with bf16 recurrent weights (README, "Recurrent weights in bf16").
    case mit
    /// The CPU default, chosen by measurement (README, "Choosing the cpu preset").
    case cpu
    /// A model that trains in seconds: for trying the commands and for tests.
    case tiny

    /// The preset's run, before any flag: the same type a run records (one configuration type
    /// for a run, holding the trainer's and the optimizer's).
    public var settings: RunSettings {
        switch self {
        // bf16 recurrent weights by measurement (README, "Recurrent weights in bf16"): the best
        // validation score moved by −0.003 bits/char, and training runs 1.4–1.9× faster.
        case .mit:
            RunSettings(every: self, embedding: 256, hidden: 1024, layers: 1, batch: 8, steps: 100, iterations: 3000,
                        learningRate: 5e-3, schedule: .constant, precision: .bf16)
        // Chosen by measurement (README, "Choosing the cpu preset"): the lowest validation loss of
        // the configurations tried within ten minutes here, reached in about two. fp32: its 4 MiB
        // of W_hh mostly stay in cache, so bf16 does not train it faster (README, "bf16").
        case .cpu:
            RunSettings(every: self, embedding: 128, hidden: 512, layers: 1, batch: 16, steps: 100, iterations: 2000,
                        learningRate: 5e-3, schedule: .cosine)
        case .tiny:
            RunSettings(every: self, embedding: 16, hidden: 32, layers: 1, batch: 8, steps: 32, iterations: 200,
                        learningRate: 1e-2, schedule: .constant)
        }
    }
}

/// Everything that defines a run; saved in the checkpoint as its hyperparameters (JSON), so
/// `--resume` and `generate` need no flags.
public struct RunSettings: Codable, Equatable, Sendable {
    public var preset: String
    public var embedding: Int
    public var hidden: Int
    public var layers: Int
    public var iterations: Int
    public var trainer: TrainerConfig
    public var seed: UInt64
    public var validationFraction: Double
    public var evalEvery: Int
    public var checkpointEvery: Int
    public var inputs: [String]
    public var keepInvalid: Bool
    /// `--augment-transpose`: transposed copies of the training tunes. Nil (not false) when off,
    /// so runs without it record the same settings as before the option existed.
    public var augmentTranspose: Bool? = nil
    /// `--precision`: how the per-step products store W_hh. Nil in runs from before the option
    /// (they trained in fp32); see `weightPrecision`.
    public var precision: WeightPrecision? = nil
}

extension RunSettings {
    /// The precision the run trains (and, by default, samples) with.
    public var weightPrecision: WeightPrecision { precision ?? .fp32 }
}

extension RunSettings {
    /// Checks settings read back from a checkpoint (untrusted: a hand-edited or foreign file must
    /// give an error, not a trap deep in the trainer). Returns what is wrong, or nil.
    public func problem(for shape: ModelShape) -> String? {
        let big = 1 << 40
        let t = trainer, o = trainer.optimizer
        if embedding != shape.embeddingSize || hidden != shape.hiddenSize || layers != shape.layers {
            return "settings say E \(embedding), H \(hidden), L \(layers) but the weights are E \(shape.embeddingSize), H \(shape.hiddenSize), L \(shape.layers)"
        }
        if !(1 ... 4096).contains(t.batch) || !(1 ... 100_000).contains(t.steps) { return "batch \(t.batch) or sequence length \(t.steps) out of range" }
        if !(1 ... big).contains(iterations) || !(1 ... big).contains(evalEvery) || !(1 ... big).contains(checkpointEvery) {
            return "iterations, eval or checkpoint interval out of range"
        }
        if !(validationFraction >= 0 && validationFraction < 1) { return "validation fraction \(validationFraction) out of range" }
        if !(t.dropout >= 0 && t.dropout < 1) || (t.dropout > 0 && layers < 2) { return "dropout \(t.dropout) out of range" }
        if let clip = t.clipNorm, !(clip.isFinite && clip > 0) { return "clip norm \(clip) out of range" }
        if !(o.learningRate.isFinite && o.learningRate > 0) || !(o.beta1 >= 0 && o.beta1 < 1) || !(o.beta2 >= 0 && o.beta2 < 1)
            || !(o.epsilon.isFinite && o.epsilon > 0) {
            return "Adam settings out of range"
        }
        switch o.schedule {
        case .constant: break
        case let .cosine(warmup, total, floor):
            if !(0 ... big).contains(warmup) || !(0 ... big).contains(total) || !(floor.isFinite && floor >= 0) { return "cosine schedule out of range" }
        }
        if inputs.isEmpty { return "no training inputs recorded" }
        return nil
    }
}


extension RunSettings {
    /// The settings of a new run: the preset's, then every override that is not nil. A cosine
    /// schedule (the preset's or asked for) decays over the run's iterations.
    public init(preset: Preset, embedding: Int? = nil, hidden: Int? = nil, layers: Int? = nil, batch: Int? = nil,
                steps: Int? = nil, iterations: Int? = nil, learningRate: Float? = nil, schedule: ScheduleChoice? = nil,
                clip: Float = 5, dropout: Float? = nil, batching: Batcher.Mode = .random, seed: UInt64 = 1,
                validationFraction: Double = 0.1, evalEvery: Int = 100, checkpointEvery: Int = 500, inputs: [String] = ["corpus"],
                keepInvalid: Bool = false, augmentTranspose: Bool = false, precision: WeightPrecision? = nil) {
        let p = preset.settings
        self.init(every: preset, embedding: embedding ?? p.embedding, hidden: hidden ?? p.hidden, layers: layers ?? p.layers,
                  batch: batch ?? p.trainer.batch, steps: steps ?? p.trainer.steps, iterations: iterations ?? p.iterations,
                  learningRate: learningRate ?? p.trainer.optimizer.learningRate, schedule: schedule ?? p.scheduleChoice,
                  clip: clip, dropout: dropout ?? p.trainer.dropout, batching: batching, seed: seed,
                  validationFraction: validationFraction, evalEvery: evalEvery, checkpointEvery: checkpointEvery,
                  inputs: inputs, keepInvalid: keepInvalid, augmentTranspose: augmentTranspose,
                  precision: precision ?? p.weightPrecision)
    }

    /// Every value given: what a preset's table and a run's flags both build.
    fileprivate init(every preset: Preset, embedding: Int, hidden: Int, layers: Int, batch: Int, steps: Int, iterations: Int,
                 learningRate: Float, schedule: ScheduleChoice, clip: Float = 5, dropout: Float = 0,
                 batching: Batcher.Mode = .random, seed: UInt64 = 1, validationFraction: Double = 0.1, evalEvery: Int = 100,
                 checkpointEvery: Int = 500, inputs: [String] = ["corpus"], keepInvalid: Bool = false,
                 augmentTranspose: Bool = false, precision: WeightPrecision? = nil) {
        var adam = AdamConfig(learningRate: learningRate)
        if schedule == .cosine { adam.schedule = .cosine(warmup: 0, total: iterations, floor: 0.1) }
        let trainer = TrainerConfig(batch: batch, steps: steps, optimizer: adam, clipNorm: clip > 0 ? clip : nil,
                                    batchMode: batching, seed: seed, dropout: dropout)
        self.init(preset: preset.rawValue, embedding: embedding, hidden: hidden, layers: layers, iterations: iterations,
                  trainer: trainer, seed: seed, validationFraction: validationFraction, evalEvery: evalEvery,
                  checkpointEvery: checkpointEvery, inputs: inputs, keepInvalid: keepInvalid,
                  augmentTranspose: augmentTranspose ? true : nil, precision: precision ?? .fp32)
    }

    /// Which schedule the run asked for.
    var scheduleChoice: ScheduleChoice {
        if case .cosine = trainer.optimizer.schedule { return .cosine }
        return .constant
    }
}
