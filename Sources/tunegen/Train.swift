// `tunegen train [ABC…]`: options and their validation; the run itself is Composer's TrainingRun.
import ArgumentParser
import CharModel
import Composer
import Foundation

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a character LSTM on ABC tunes.",
        discussion: """
            Tunes are split and checked; tunes with errors are skipped (counted) unless --keep-invalid. \
            A seeded 10% of the tunes (--validation) is held out and scored in bits per character. \
            OUT gets latest.safetensors (every --checkpoint-every steps and at the end), \
            best.safetensors (lowest validation bpc) and loss.svg. Ctrl-C, SIGTERM and SIGHUP save and \
            exit (status 130, 143, 129); --resume FILE ABC… continues exactly where FILE left off. \
            One run at a time may write to OUT (a lock file names the running one). \
            Under Open MPI's `mpirun -np N`, N processes train one model together: each computes its \
            share of every batch of --batch streams, the gradients are summed, and rank 0 alone writes \
            (README: "Training on several machines").
            """)

    @Argument(help: "ABC files or folders (default: corpus/; with --resume, give the checkpoint's inputs again).")
    var inputs: [String] = []

    @Option(help: "Hyperparameter preset: cpu (default: E128 H512 L1, 2000 iterations with cosine decay; the best validation loss within ten minutes here), mit (the MIT lab: E256 H1024, 3000 iterations), tiny (seconds).")
    var preset: Preset = .cpu

    @Option(parsing: .unconditional, help: "Embedding width E.") var embedding: Int?
    @Option(parsing: .unconditional, help: "Hidden units H per layer.") var hidden: Int?
    @Option(parsing: .unconditional, help: "Stacked LSTM layers L.") var layers: Int?
    @Option(parsing: .unconditional, help: "Sequences per batch B.") var batch: Int?
    @Option(name: .customLong("seq-length"), parsing: .unconditional, help: "Time steps T per window (BPTT length).") var steps: Int?
    @Option(parsing: .unconditional, help: "Training iterations (Adam steps).") var iterations: Int?
    @Option(name: .customLong("lr"), parsing: .unconditional, help: "Adam learning rate.") var learningRate: Float?
    @Option(help: "Learning-rate schedule: constant, or cosine (decays to 10% by the last iteration). Default: the preset's (cpu: cosine; mit, tiny: constant).")
    var schedule: ScheduleChoice?
    @Option(parsing: .unconditional, help: "Global-norm gradient clip (0 disables).") var clip: Float = 5
    @Option(parsing: .unconditional, help: "Dropout between stacked LSTM layers (needs --layers 2 or more), 0 ≤ P < 1.") var dropout: Float?
    @Option(help: "How batches are made: windows (random windows, state reset each batch) or tunes (each stream walks through whole tunes, its state carried from window to window and reset at each new tune).")
    var batching: String = "windows"
    @Option(parsing: .unconditional, help: "Seed for initialisation, the split and the batches.") var seed: UInt64 = 1
    @Option(parsing: .unconditional, help: "Fraction of tunes held out for validation.") var validation: Double = 0.1
    @Option(parsing: .unconditional, help: "Validate every N iterations.") var evalEvery: Int = 100
    @Option(parsing: .unconditional, help: "Write latest.safetensors every N iterations.") var checkpointEvery: Int = 500
    @Option(name: .shortAndLong, help: "Output folder.") var out: String = "runs/train"
    @Option(help: "Continue training from this checkpoint (its settings are used; --iterations may extend the run).")
    var resume: String?
    @Option(help: "Append one JSON object per step (step, loss, val_bpc, lr, chars_per_s, elapsed) to FILE.")
    var log: String?
    @Flag(help: "Keep tunes that have errors.") var keepInvalid = false
    @Flag(help: "Add copies of each training tune transposed to D, G, A, E, C, F and Bb (same mode; validation tunes stay as written).")
    var augmentTranspose = false
    @Option(help: "How the per-step products store the recurrent weights: bf16 (half the bytes, fp32 arithmetic and fp32 master weights) or fp32 (default: the preset's; mit bf16, cpu and tiny fp32).")
    var precision: String?
    @Flag(help: "Print only the summary.") var quiet = false


    func validate() throws {
        for (name, value) in [("--embedding", embedding), ("--hidden", hidden), ("--layers", layers), ("--batch", batch),
                              ("--seq-length", steps), ("--iterations", iterations)] {
            if let value, value < 1 { throw ValidationError("\(name) must be at least 1 (got \(value))") }
        }
        if let learningRate, !(learningRate.isFinite && learningRate > 0) { throw ValidationError("--lr must be a positive number") }
        if !(clip.isFinite && clip >= 0) { throw ValidationError("--clip must be 0 or positive") }
        if let dropout, !(dropout >= 0 && dropout < 1) { throw ValidationError("--dropout must be in [0, 1) (got \(dropout))") }
        if let dropout, dropout > 0, (layers ?? preset.settings.layers) < 2 {
            throw ValidationError("--dropout acts between stacked layers; use it with --layers 2 or more")
        }
        if let precision, !["fp32", "bf16"].contains(precision) { throw ValidationError("--precision must be fp32 or bf16 (got '\(precision)')") }
        if !["windows", "tunes"].contains(batching) { throw ValidationError("--batching must be windows or tunes (got '\(batching)')") }
        if !(validation >= 0 && validation < 1) { throw ValidationError("--validation must be in [0, 1) (got \(validation))") }
        if evalEvery < 1 || checkpointEvery < 1 { throw ValidationError("--eval-every and --checkpoint-every must be at least 1") }
        if (hidden ?? preset.settings.hidden) > Checkpoint.maxWidth || (embedding ?? preset.settings.embedding) > Checkpoint.maxWidth {
            throw ValidationError("--hidden and --embedding are limited to \(Checkpoint.maxWidth)")
        }
        if (layers ?? preset.settings.layers) > Checkpoint.maxLayers { throw ValidationError("--layers is limited to \(Checkpoint.maxLayers)") }
    }

    /// The run's settings: preset, then flags.
    var settings: RunSettings {
        RunSettings(preset: preset, embedding: embedding, hidden: hidden, layers: layers, batch: batch, steps: steps,
                    iterations: iterations, learningRate: learningRate, schedule: schedule, clip: clip, dropout: dropout,
                    batching: batching == "tunes" ? .tunes : .random, seed: seed, validationFraction: validation,
                    evalEvery: evalEvery, checkpointEvery: checkpointEvery, inputs: inputs.isEmpty ? ["corpus"] : inputs,
                    keepInvalid: keepInvalid, augmentTranspose: augmentTranspose,
                    precision: precision.flatMap { WeightPrecision(rawValue: $0) })
    }

    func run() throws {
        let run = try TrainingRun(settings: settings, output: TrainingOutput(folder: out, log: log, quiet: quiet),
                                  resume: resume, iterations: iterations, resumeInputs: inputs.isEmpty ? nil : inputs)
        let status = try run.run()
        if status != 0 { throw ExitCode(status) }
    }
}

extension Preset: ExpressibleByArgument {}
extension ScheduleChoice: ExpressibleByArgument {}
