// `tunegen train [ABC…]`: options, presets and validation; the loop itself is TrainingRun.
import ArgumentParser
import CharModel
import Foundation

/// Named sets of hyperparameters. Flags given alongside a preset override its values.
enum Preset: String, ExpressibleByArgument, CaseIterable, Codable {
    /// The MIT 6.S191 lab's run: E 256, H 1024, L 1, B 8, T 100, Adam lr 5e-3, 3000 iterations.
    case mit
    /// The CPU default, chosen by measurement (README, "Choosing the cpu preset").
    case cpu
    /// A model that trains in seconds: for trying the commands and for tests.
    case tiny

    struct Values {
        var embedding, hidden, layers, batch, steps, iterations: Int
        var learningRate: Float
        var schedule: Train.ScheduleChoice = .constant
        var dropout: Float = 0
    }

    var values: Values {
        switch self {
        case .mit: Values(embedding: 256, hidden: 1024, layers: 1, batch: 8, steps: 100, iterations: 3000, learningRate: 5e-3)
        // Chosen by measurement (README, "Choosing the cpu preset"): the lowest validation loss of
        // the configurations tried within ten minutes here, reached in about two.
        case .cpu: Values(embedding: 128, hidden: 512, layers: 1, batch: 16, steps: 100, iterations: 2000, learningRate: 5e-3,
                          schedule: .cosine)
        case .tiny: Values(embedding: 16, hidden: 32, layers: 1, batch: 8, steps: 32, iterations: 200, learningRate: 1e-2)
        }
    }
}

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a character LSTM on ABC tunes.",
        discussion: """
            Tunes are split and checked; tunes with errors are skipped (counted) unless --keep-invalid. \
            A seeded 10% of the tunes (--validation) is held out and scored in bits per character. \
            OUT gets latest.safetensors (every --checkpoint-every steps and at the end), \
            best.safetensors (lowest validation bpc) and loss.svg. Ctrl-C saves and exits (status 130); \
            --resume FILE continues exactly where FILE left off.
            """)

    @Argument(help: "ABC files or folders (default: corpus/).")
    var inputs: [String] = ["corpus"]

    @Option(help: "Hyperparameter preset: cpu (default: E128 H512 L1, 2000 iterations with cosine decay; the best validation loss within ten minutes here), mit (the MIT lab: E256 H1024, 3000 iterations), tiny (seconds).")
    var preset: Preset = .cpu

    @Option(help: "Embedding width E.") var embedding: Int?
    @Option(help: "Hidden units H per layer.") var hidden: Int?
    @Option(help: "Stacked LSTM layers L.") var layers: Int?
    @Option(help: "Sequences per batch B.") var batch: Int?
    @Option(name: .customLong("seq-length"), help: "Time steps T per window (BPTT length).") var steps: Int?
    @Option(help: "Training iterations (Adam steps).") var iterations: Int?
    @Option(name: .customLong("lr"), help: "Adam learning rate.") var learningRate: Float?
    @Option(help: "Learning-rate schedule: constant, or cosine (decays to 10% by the last iteration). Default: the preset's (cpu: cosine; mit, tiny: constant).")
    var schedule: ScheduleChoice?
    @Option(help: "Global-norm gradient clip (0 disables).") var clip: Float = 5
    @Option(help: "Dropout between stacked LSTM layers (needs --layers 2 or more), 0 ≤ P < 1.") var dropout: Float?
    @Option(help: "Seed for initialisation, the split and the batches.") var seed: UInt64 = 1
    @Option(help: "Fraction of tunes held out for validation.") var validation: Double = 0.1
    @Option(help: "Validate every N iterations.") var evalEvery: Int = 100
    @Option(help: "Write latest.safetensors every N iterations.") var checkpointEvery: Int = 500
    @Option(name: .shortAndLong, help: "Output folder.") var out: String = "runs/train"
    @Option(help: "Continue training from this checkpoint (its settings are used; --iterations may extend the run).")
    var resume: String?
    @Option(help: "Append one JSON object per step (step, loss, val_bpc, lr, chars_per_s, elapsed) to FILE.")
    var log: String?
    @Flag(help: "Keep tunes that have errors.") var keepInvalid = false
    @Flag(help: "Print only the summary.") var quiet = false

    /// Test hook: poison the weights with NaN at this iteration, to exercise the non-finite guard.
    @Option(help: .hidden) var debugPoisonAt: Int?

    enum ScheduleChoice: String, ExpressibleByArgument, Codable { case constant, cosine }

    func validate() throws {
        for (name, value) in [("--embedding", embedding), ("--hidden", hidden), ("--layers", layers), ("--batch", batch),
                              ("--seq-length", steps), ("--iterations", iterations)] {
            if let value, value < 1 { throw ValidationError("\(name) must be at least 1 (got \(value))") }
        }
        if let learningRate, !(learningRate.isFinite && learningRate > 0) { throw ValidationError("--lr must be a positive number") }
        if !(clip.isFinite && clip >= 0) { throw ValidationError("--clip must be 0 or positive") }
        if let dropout, !(dropout >= 0 && dropout < 1) { throw ValidationError("--dropout must be in [0, 1) (got \(dropout))") }
        if let dropout, dropout > 0, (layers ?? preset.values.layers) < 2 {
            throw ValidationError("--dropout acts between stacked layers; use it with --layers 2 or more")
        }
        if !(validation >= 0 && validation < 1) { throw ValidationError("--validation must be in [0, 1) (got \(validation))") }
        if evalEvery < 1 || checkpointEvery < 1 { throw ValidationError("--eval-every and --checkpoint-every must be at least 1") }
        if (hidden ?? preset.values.hidden) > Checkpoint.maxWidth || (embedding ?? preset.values.embedding) > Checkpoint.maxWidth {
            throw ValidationError("--hidden and --embedding are limited to \(Checkpoint.maxWidth)")
        }
        if (layers ?? preset.values.layers) > Checkpoint.maxLayers { throw ValidationError("--layers is limited to \(Checkpoint.maxLayers)") }
    }

    /// The run's settings: preset, then flags.
    var settings: RunSettings {
        let p = preset.values
        let iterations = self.iterations ?? p.iterations
        let lr = learningRate ?? p.learningRate
        var adam = AdamConfig(learningRate: lr)
        if (schedule ?? p.schedule) == .cosine { adam.schedule = .cosine(warmup: 0, total: iterations, floor: 0.1) }
        let trainer = TrainerConfig(batch: batch ?? p.batch, steps: steps ?? p.steps, optimizer: adam,
                                    clipNorm: clip > 0 ? clip : nil, batchMode: .random, seed: seed,
                                    dropout: dropout ?? p.dropout)
        return RunSettings(preset: preset.rawValue, embedding: embedding ?? p.embedding, hidden: hidden ?? p.hidden,
                           layers: layers ?? p.layers, iterations: iterations, trainer: trainer, seed: seed,
                           validationFraction: validation, evalEvery: evalEvery, checkpointEvery: checkpointEvery,
                           inputs: inputs, keepInvalid: keepInvalid)
    }

    func run() throws {
        do {
            let run = try TrainingRun(train: self)
            let status = try run.run()
            if status != 0 { throw ExitCode(status) }
        } catch let failure as CommandFailure {
            CommandFailure.exit(failure)
        }
    }
}

/// Everything that defines a run; saved in the checkpoint as its hyperparameters (JSON), so
/// `--resume` and `generate` need no flags.
struct RunSettings: Codable, Equatable {
    var preset: String
    var embedding: Int
    var hidden: Int
    var layers: Int
    var iterations: Int
    var trainer: TrainerConfig
    var seed: UInt64
    var validationFraction: Double
    var evalEvery: Int
    var checkpointEvery: Int
    var inputs: [String]
    var keepInvalid: Bool
}

extension RunSettings {
    /// Checks settings read back from a checkpoint (untrusted: a hand-edited or foreign file must
    /// give an error, not a trap deep in the trainer). Returns what is wrong, or nil.
    func problem(for shape: ModelShape) -> String? {
        let big = 1 << 40
        let t = trainer, o = trainer.optimizer
        if embedding != shape.embeddingSize || hidden != shape.hiddenSize || layers != shape.layers {
            return "settings say E \(embedding), H \(hidden), L \(layers) but the weights are E \(shape.embeddingSize), H \(shape.hiddenSize), L \(shape.layers)"
        }
        if !(1 ... 4096).contains(t.batch) || !(1 ... 100_000).contains(t.steps) { return "batch \(t.batch) or sequence length \(t.steps) out of range" }
        if t.batchMode != .random { return "batch mode '\(t.batchMode.rawValue)' is not one tunegen train writes" }
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
        case let .exponentialDecay(rate, steps):
            if !(rate.isFinite && rate > 0) || !(0 ... big).contains(steps) { return "learning-rate decay out of range" }
        case let .cosine(warmup, total, floor):
            if !(0 ... big).contains(warmup) || !(0 ... big).contains(total) || !(floor.isFinite && floor >= 0) { return "cosine schedule out of range" }
        }
        if inputs.isEmpty { return "no training inputs recorded" }
        return nil
    }
}

