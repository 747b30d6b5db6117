// TrainingRun: the training story of `tunegen train`, top to bottom: read and split the
// corpus → build or resume the model → loop (step → guard non-finite → log → validate →
// checkpoint) → final checkpoint, loss curve and summary. Ctrl-C finishes the step, saves
// and exits 130. Every random choice comes from the run's seed; resuming is bit-exact.
import CharModel
import Foundation
import Linalg
import Synchronization

/// Set by SIGINT; read between steps.
let interruptRequested = Atomic<Bool>(false)

/// Where a run writes and how much it says.
public struct TrainingOutput: Sendable {
    /// The output folder as the user wrote it (also used in messages).
    public var folder: String
    /// A file to append one JSON line per step to.
    public var log: String?
    /// Print only the summary.
    public var quiet: Bool

    public init(folder: String, log: String? = nil, quiet: Bool = false) {
        (self.folder, self.log, self.quiet) = (folder, log, quiet)
    }
}

public final class TrainingRun {
    public let settings: RunSettings
    let outFolder: URL
    /// The output folder as the user wrote it, for messages.
    let outName: String
    let logURL: URL?
    let quiet: Bool
    let commandLine: String
    /// Called before each step with the iteration about to run (tests use it to inject faults).
    public var beforeStep: ((Int, Trainer) -> Void)?

    public let corpus: TrainingCorpus
    /// What `--augment-transpose` added (nil without it).
    public let augmentation: TrainingCorpus.Augmentation?
    public let vocabulary: Vocabulary
    public let trainer: Trainer
    let validationTokens: [Int32]
    /// The MPI job this process is a rank of (`mpirun -np N tunegen train`); nil without mpirun.
    let group: TrainingGroup?
    /// Rank 0, or a run without mpirun: the process that writes files and speaks.
    var isRoot: Bool { group?.isRoot ?? true }

    /// Loop position and history; saved in every checkpoint so a resumed run continues them.
    struct Record: Codable {
        var iteration = 0
        var skipped = 0
        var learningRateCuts = 0
        var bestValidationBPC: Double?
        /// The most recent validation score (NaN before the first).
        var lastValidationBPC: Double?
        var elapsed = 0.0
        /// (iteration, training loss in bits/char) per step and (iteration, bpc) per validation.
        var trainingCurve: [[Double]] = []
        var validationCurve: [[Double]] = []
    }
    var record = Record()
    /// Steps skipped because the loss or a gradient was not finite.
    public var skippedSteps: Int { record.skipped }
    /// How often the guard restored the last good state and halved the learning rate.
    public var learningRateCuts: Int { record.learningRateCuts }

    /// A new run with `settings`, or, with `resume`, the run saved in that checkpoint (its own
    /// settings are used; `iterations`, when given, may extend it).
    public init(settings newSettings: RunSettings, output: TrainingOutput, resume: String? = nil, iterations: Int? = nil) throws {
        quiet = output.quiet
        logURL = output.log.map { URL(fileURLWithPath: $0) }
        outFolder = URL(fileURLWithPath: output.folder, isDirectory: true)
        outName = output.folder
        commandLine = (["tunegen"] + CommandLine.arguments.dropFirst()).joined(separator: " ")
        group = try TrainingGroup.start()

        var resumed: (file: ModelFile, settings: RunSettings, record: Record)?
        if let path = resume {
            let file = try ModelFile.load(URL(fileURLWithPath: path))
            guard file.checkpoint.trainingState != nil else {
                throw TunegenError("\(path): has no training state to resume from (a shipped or exported model); train from scratch or pass a latest.safetensors")
            }
            guard let settings = try? JSONDecoder().decode(RunSettings.self, from: Data(file.checkpoint.hyperparameters.utf8)),
                  let recordText = file.checkpoint.extraMetadata["training_record"],
                  let record = try? JSONDecoder().decode(Record.self, from: Data(recordText.utf8)) else {
                throw TunegenError("\(path): its training settings are missing or unreadable, so it cannot be resumed exactly")
            }
            var s = settings
            if let iterations { s.iterations = iterations }
            if let problem = s.problem(for: file.checkpoint.shape) {
                throw TunegenError("\(path): cannot resume: \(problem)")
            }
            guard record.iteration >= 0, record.iteration <= s.iterations, (0 ... 10).contains(record.learningRateCuts), record.skipped >= 0,
                  let step = file.checkpoint.trainingState?.adam.step, step <= 1 << 40 else {
                throw TunegenError("\(path): cannot resume: its training record is out of range (iteration \(record.iteration) of \(s.iterations))")
            }
            resumed = (file, s, record)
        }
        settings = resumed?.settings ?? newSettings

        let loaded = try TrainingCorpus.load(paths: settings.inputs, keepInvalid: settings.keepInvalid,
                                             validationFraction: settings.validationFraction, seed: settings.seed)
        if settings.augmentTranspose == true {
            (corpus, augmentation) = { let a = loaded.augmentedByTransposition(); return (a.corpus, a.augmentation) }()
        } else {
            (corpus, augmentation) = (loaded, nil)
        }
        let trainingText = corpus.trainingText
        if let resumed {
            vocabulary = resumed.file.vocabulary
        } else {
            // The vocabulary covers validation text too, so held-out tunes can be scored.
            vocabulary = Vocabulary(text: trainingText + corpus.validationText)
        }
        guard let tokens = vocabulary.encode(trainingText) else {
            throw TunegenError("the corpus has characters the resumed model does not know; resume with the same inputs it was trained on")
        }
        guard tokens.count > settings.trainer.steps + 1 else {
            throw TunegenError("the training text (\(tokens.count) characters) is shorter than one window of \(settings.trainer.steps + 1); use a smaller --seq-length or more tunes")
        }
        validationTokens = vocabulary.encodeDroppingUnknown(corpus.validationText).ids

        let shape = ModelShape(vocabularySize: vocabulary.count, embeddingSize: settings.embedding,
                               hiddenSize: settings.hidden, layers: settings.layers)
        var initRNG = SeededGenerator(seed: settings.seed)
        var model = resumed?.file.model ?? CharLSTM(shape: shape, rng: &initRNG)
        if let group, group.size > 1 { group.shareCores(with: &model) }
        if let group, settings.trainer.batch < group.size {
            throw TunegenError("a batch of \(settings.trainer.batch) streams cannot be shared by \(group.size) processes: use --batch \(group.size) or more (each rank computes batch/processes streams)")
        }
        if let group, group.size > 1, settings.trainer.batchMode == .tunes {
            throw TunegenError("--batching tunes does not run under mpirun yet (each rank would carry its own streams' state, and only rank 0's is saved); use --batching windows")
        }
        trainer = Trainer(model: model, tokens: tokens, config: settings.trainer, reducer: group?.reducer,
                          tuneStarts: settings.trainer.batchMode == .tunes ? corpus.trainingTuneStarts : [])
        if let resumed {
            let state = resumed.file.checkpoint.trainingState!
            if let problem = trainer.problem(with: state) { throw TunegenError("\(resume ?? ""): cannot resume: \(problem)") }
            trainer.restore(parameters: resumed.file.checkpoint.parameters, state: state)
            record = resumed.record
            trainer.adam.config.learningRate = settings.trainer.optimizer.learningRate / Float(1 << min(record.learningRateCuts, 30))
        }
    }

    // MARK: The loop

    /// Trains to `settings.iterations`. Returns the exit status: 0 done, 130 interrupted.
    public func run() throws -> Int32 {
        do {
            let status = try loop()
            group?.finish()
            return status
        } catch let failure as GroupFailure {
            throw group?.failTogether(failure) ?? failure.error
        }
    }

    private func loop() throws -> Int32 {
        if isRoot { try createOutFolder() }
        let logHandle = isRoot ? try openLog() : nil
        defer { try? logHandle?.close() }
        installInterruptHandler()

        let s = settings
        say("tunegen train: \(corpus.files.count) file(s), \(corpus.tunesFound) tunes: \(corpus.training.count) training, "
            + "\(corpus.validation.count) validation, \(corpus.skippedInvalid) skipped for errors"
            + (corpus.duplicatesFolded > 0 ? ", \(corpus.duplicatesFolded) duplicates folded" : ""))
        if let a = augmentation {
            say("--augment-transpose: \(a.copies) transposed copies of the training tunes added (to \(TrainingCorpus.augmentationTonics.joined(separator: " "))), "
                + "\(a.refused) left as they are; validation tunes as written")
        }
        say("model: V \(vocabulary.count), E \(s.embedding), H \(s.hidden), L \(s.layers) (\(trainer.model.parameters.count) parameters); "
            + "B \(s.trainer.batch), T \(s.trainer.steps), lr \(s.trainer.optimizer.learningRate), \(s.iterations) iterations, seed \(s.seed); "
            + "OpenBLAS \(OpenBLASCore.description)")
        if let group, group.size > 1 {
            let (low, high) = (s.trainer.batch / group.size, (s.trainer.batch + group.size - 1) / group.size)
            say("data-parallel: \(group.size) processes (MPI), \(low == high ? "\(low)" : "\(low)–\(high)") of the \(s.trainer.batch) streams each; rank 0 writes")
        }
        if record.iteration > 0 { say("resuming at iteration \(record.iteration)") }

        let progress = ProgressLine(total: s.iterations, enabled: !quiet && isRoot)
        progress.validation = record.lastValidationBPC
        var lastGood = (parameters: trainer.model.parameters, state: trainer.state)
        var consecutiveFailures = 0
        let start = Date()
        let elapsedBefore = record.elapsed
        var status: Int32 = 0

        while record.iteration < s.iterations {
            beforeStep?(record.iteration, trainer)
            let stepStart = Date()
            let stats = trainer.step()
            let stepSeconds = Date().timeIntervalSince(stepStart)
            record.iteration += 1
            record.elapsed = elapsedBefore + Date().timeIntervalSince(start)

            if stats.applied {
                consecutiveFailures = 0
                let bits = Double(stats.loss) / log(2.0)
                record.trainingCurve.append([Double(record.iteration), bits])
                progress.update(iteration: record.iteration, lossBits: bits,
                                charactersPerSecond: Double(stats.characters) / max(stepSeconds, 1e-9))
                try writeLog(logHandle, stats: stats, bits: bits, seconds: stepSeconds)
            } else {
                record.skipped += 1
                consecutiveFailures += 1
                progress.note("step \(record.iteration): loss or gradient not finite; step skipped (\(record.skipped) so far)")
                if consecutiveFailures >= 3 {
                    record.learningRateCuts += 1
                    guard record.learningRateCuts <= 10 else {
                        progress.finish()
                        throw GroupFailure(TunegenError("training diverged: non-finite values persist after 10 learning-rate cuts; the last good checkpoint is in \(outFolder.path). Try a smaller --lr or --clip"))
                    }
                    trainer.restore(parameters: lastGood.parameters, state: lastGood.state)
                    let lr = s.trainer.optimizer.learningRate / Float(1 << record.learningRateCuts)
                    trainer.adam.config.learningRate = lr
                    consecutiveFailures = 0
                    progress.note("restored the last good state and lowered the learning rate to \(lr)")
                }
            }

            let done = record.iteration == s.iterations
            if record.iteration % s.evalEvery == 0 || done {
                try group?.checkSameWeights(trainer.model.parameters, iteration: record.iteration)
                if trainer.model.parameters.allSatisfy(\.isFinite) {
                    validate(progress: progress)
                    lastGood = (trainer.model.parameters, trainer.state)
                }
            }
            if record.iteration % s.checkpointEvery == 0 || done {
                try saveCheckpoint(name: "latest")
            }
            // Under mpirun every rank stops after the same step (a Ctrl-C reaches the ranks as SIGTERM).
            let interrupted = interruptRequested.load(ordering: .relaxed)
            if group?.anyStopRequested(interrupted) ?? interrupted {
                progress.finish()
                try saveCheckpoint(name: "latest")
                say("interrupted at iteration \(record.iteration): saved \(shown("latest.safetensors")); resume with --resume")
                status = 130
                break
            }
        }
        progress.finish()
        if isRoot { try writeCurve() }
        if status == 0 { summarise() }
        return status
    }

    // MARK: Steps of the loop

    /// Scores the validation text; keeps best.safetensors when it improves.
    private func validate(progress: ProgressLine) {
        guard validationTokens.count >= 2 else { return }
        let bpc = trainer.evaluate(validationTokens, streams: 8, steps: 100)
        record.lastValidationBPC = bpc
        record.validationCurve.append([Double(record.iteration), bpc])
        progress.validation = bpc
        if bpc < (record.bestValidationBPC ?? .infinity) {
            record.bestValidationBPC = bpc
            do { try saveCheckpoint(name: "best") } catch { progress.note("could not write best.safetensors: \(error)") }
        }
    }

    // MARK: Files

    private func createOutFolder() throws {
        do {
            try FileManager.default.createDirectory(at: outFolder, withIntermediateDirectories: true)
        } catch {
            throw TunegenError("cannot create output folder '\(outFolder.path)': \(error.localizedDescription)")
        }
    }

    private func openLog() throws -> FileHandle? {
        guard let logURL else { return nil }
        if !FileManager.default.fileExists(atPath: logURL.path) {
            guard FileManager.default.createFile(atPath: logURL.path, contents: nil) else {
                throw TunegenError("cannot create log file '\(logURL.path)'")
            }
        }
        guard let handle = try? FileHandle(forWritingTo: logURL) else { throw TunegenError("cannot open log file '\(logURL.path)'") }
        _ = try? handle.seekToEnd()
        return handle
    }

    private func writeLog(_ handle: FileHandle?, stats: StepStats, bits: Double, seconds: Double) throws {
        guard let handle else { return }
        struct Line: Encodable {
            var step: Int, loss: Double, loss_bits: Double, val_bpc: Double?, lr: Double, chars_per_s: Double, elapsed: Double
            /// Data-parallel runs only: milliseconds of the step spent exchanging gradients.
            var exchange_ms: Double?
        }
        let line = Line(step: record.iteration, loss: Double(stats.loss), loss_bits: bits,
                        val_bpc: record.lastValidationBPC, lr: Double(stats.learningRate),
                        chars_per_s: Double(stats.characters) / max(seconds, 1e-9), elapsed: record.elapsed,
                        exchange_ms: group?.reducer.map { $0.lastExchangeSeconds * 1000 })
        handle.write(Data((try JSONOutput.compact(line) + "\n").utf8))
    }

    /// Writes OUT/name.safetensors atomically, with the full training state. Never writes
    /// non-finite weights (Checkpoint would refuse to read them back).
    private func saveCheckpoint(name: String) throws {
        guard isRoot else { return }
        let parameters = trainer.model.parameters
        guard parameters.allSatisfy(\.isFinite) else { return }
        let hyper = try JSONOutput.compact(settings)
        let recordText = try JSONOutput.compact(record)
        var extra: [String: String] = ["training_record": recordText, "command": commandLine,
                                       "tunegen": "train", "seed": "\(settings.seed)"]
        if let best = record.bestValidationBPC { extra["best_validation_bpc"] = String(format: "%.4f", best) }
        let checkpoint = Checkpoint(shape: trainer.model.shape, vocabulary: vocabulary, parameters: parameters,
                                    hyperparameters: hyper, extraMetadata: extra, trainingState: trainer.state)
        let url = outFolder.appendingPathComponent("\(name).safetensors")
        do {
            try checkpoint.write(to: url)
        } catch {
            throw TunegenError("cannot write checkpoint '\(url.path)': \(error)")
        }
    }

    private func writeCurve() throws {
        let svg = LossCurveSVG.render(
            training: record.trainingCurve.map { (step: Int($0[0]), value: $0[1]) },
            validation: record.validationCurve.map { (step: Int($0[0]), value: $0[1]) },
            title: "tunegen train: \(settings.preset) E\(settings.embedding) H\(settings.hidden) L\(settings.layers)",
            yLabel: "bits per character")
        let url = outFolder.appendingPathComponent("loss.svg")
        do {
            try Data(svg.utf8).write(to: url, options: .atomic)
        } catch {
            throw TunegenError("cannot write '\(url.path)': \(error.localizedDescription)")
        }
    }

    private func summarise() {
        let best = record.bestValidationBPC.map { String(format: "%.3f", $0) } ?? "n/a"
        let minutes = Int(record.elapsed) / 60, seconds = Int(record.elapsed) % 60
        say("done: \(record.iteration) iterations in \(minutes)m\(String(format: "%02d", seconds))s; best validation \(best) bits/char"
            + (record.skipped > 0 ? "; \(record.skipped) non-finite steps skipped" : ""))
        say("model: \(shown("best.safetensors")) (best), \(shown("latest.safetensors")) (latest)")
        say("loss curve: \(shown("loss.svg"))")
    }

    /// A file in the output folder, named relative to the folder the user gave.
    private func shown(_ name: String) -> String { (outName as NSString).appendingPathComponent(name) }

    private func say(_ line: String) {
        guard isRoot else { return }
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    private func installInterruptHandler() {
        signal(SIGINT) { _ in
            interruptRequested.store(true, ordering: .relaxed)
            signal(SIGINT, SIG_DFL)  // a second Ctrl-C stops at once
        }
        // mpirun passes a Ctrl-C on to its ranks as SIGTERM, then SIGKILL after its
        // odls_base_sigkill_timeout (1 s); it forwards SIGUSR1 as is, with no deadline.
        if group != nil {
            signal(SIGTERM) { _ in interruptRequested.store(true, ordering: .relaxed) }
            signal(SIGUSR1) { _ in interruptRequested.store(true, ordering: .relaxed) }
        }
    }
}
