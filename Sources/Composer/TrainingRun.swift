// TrainingRun: the training story of `tunegen train`, top to bottom: read and split the
// corpus → build or resume the model → loop (step → guard non-finite → log → validate →
// checkpoint) → final checkpoint, loss curve and summary. Ctrl-C, SIGTERM and SIGHUP finish
// the step, save and exit 128+signal. Every random choice comes from the run's seed; resuming is
// bit-exact. A non-finite step or validation score restores the last good state at a lower
// learning rate. A log that cannot be written stops the run with a saved checkpoint; a broken
// standard error is reported by the exit status once the run has finished and saved.
import CharModel
import FileOutput
import Foundation
import Linalg

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
    /// The validation tunes one by one (each with its closing blank line), for tunes mode.
    let validationTunes: [[Int32]]
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
    /// settings are used; `iterations`, when given, may extend it). A checkpoint is untrusted, so
    /// a resumed run reads the corpus from `resumeInputs`, never from paths stored in the file;
    /// without them it stops and shows the stored paths for the user to confirm.
    public init(settings newSettings: RunSettings, output: TrainingOutput, resume: String? = nil, iterations: Int? = nil,
                resumeInputs: [String]? = nil) throws {
        quiet = output.quiet
        logURL = output.log.map { URL(fileURLWithPath: $0) }
        outFolder = URL(fileURLWithPath: output.folder, isDirectory: true)
        outName = output.folder
        commandLine = (["tunegen"] + CommandLine.arguments.dropFirst()).joined(separator: " ")
        group = try TrainingGroup.start()

        var resumed: ResumePoint?
        if let path = resume {
            var point = try ResumePoint.check(try ModelFile.load(URL(fileURLWithPath: path)), path: path, iterations: iterations)
            guard let inputs = resumeInputs, !inputs.isEmpty else {
                let stored = point.settings.inputs
                let shown = stored.prefix(10).map { "'\($0)'" }.joined(separator: " ") + (stored.count > 10 ? " …" : "")
                throw TunegenError("\(path): give the training inputs again to resume (a checkpoint's stored paths are not trusted); "
                    + "it was trained on: \(shown). For example: tunegen train --resume \(path) \(stored.prefix(3).joined(separator: " "))")
            }
            point.settings.inputs = inputs
            resumed = point
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
        let shape = ModelShape(vocabularySize: vocabulary.count, embeddingSize: settings.embedding,
                               hiddenSize: settings.hidden, layers: settings.layers)
        if resumed == nil {
            try MachineMemory.check(MemoryEstimate.training(shape: shape, batch: settings.trainer.batch, steps: settings.trainer.steps),
                                    what: "this run (B \(settings.trainer.batch), T \(settings.trainer.steps), E \(settings.embedding), H \(settings.hidden), L \(settings.layers))",
                                    hint: "use a smaller --batch, --seq-length, --hidden or --layers")
        }
        guard let tokens = vocabulary.encode(trainingText) else {
            throw TunegenError("the corpus has characters the resumed model does not know; resume with the same inputs it was trained on")
        }
        guard tokens.count > settings.trainer.steps + 1 else {
            throw TunegenError("the training text (\(tokens.count) characters) is shorter than one window of \(settings.trainer.steps + 1); use a smaller --seq-length or more tunes")
        }
        validationTokens = vocabulary.encodeDroppingUnknown(corpus.validationText).ids
        let known = vocabulary
        validationTunes = corpus.validation.map { known.encodeDroppingUnknown(TrainingCorpus.text([$0])).ids }

        var initRNG = SeededGenerator(seed: settings.seed)
        var model = resumed?.file.model ?? CharLSTM(shape: shape, rng: &initRNG)
        model.weightPrecision = settings.weightPrecision
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
            let state = resumed.state
            if let problem = trainer.problem(with: state) { throw TunegenError("\(resume ?? ""): cannot resume: \(problem)") }
            trainer.restore(parameters: resumed.file.checkpoint.parameters, state: state)
            record = resumed.record
            trainer.adam.config.learningRate = settings.trainer.optimizer.learningRate / Float(1 << min(record.learningRateCuts, 30))
        }
    }

    // MARK: The loop

    /// Trains to `settings.iterations`. Returns the exit status: 0 done, 128+signal when stopped
    /// by SIGINT (130), SIGTERM (143) or SIGHUP (129) after saving. Throws a TunegenError when the
    /// log or standard error could not be written (after saving what it can).
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
        // Rank 0 alone writes: it holds the folder's lock and the log.
        let lock = isRoot ? try FolderLock(folder: outFolder, shownAs: outName) : nil
        defer { withExtendedLifetime(lock) {} }
        let stepLog = isRoot ? try logURL.map { try StepLog(path: $0.path, resumingAt: record.iteration) } : nil
        // mpirun passes a Ctrl-C on to its ranks as SIGTERM, then SIGKILL after its
        // odls_base_sigkill_timeout (1 s); it forwards SIGUSR1 as is, with no deadline.
        StopSignals.install(extra: group != nil ? [SIGUSR1] : [])

        announce()
        let s = settings
        let progress = ProgressLine(total: s.iterations, enabled: !quiet && isRoot)
        self.progress = progress
        progress.validation = record.lastValidationBPC
        var lastGood = (parameters: trainer.model.parameters, state: trainer.state)
        var consecutiveFailures = 0
        let start = Date()
        let elapsedBefore = record.elapsed
        var status: Int32 = 0
        var logFailure: TunegenError?

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
                if let stepLog {
                    do { try writeLog(stepLog, stats: stats, bits: bits, seconds: stepSeconds) } catch let e as TunegenError { logFailure = e }
                }
            } else {
                record.skipped += 1
                consecutiveFailures += 1
                progress.note("step \(record.iteration): loss or gradient not finite; step skipped (\(record.skipped) so far)")
                if consecutiveFailures >= 3 {
                    try recover(to: lastGood, progress: progress)
                    consecutiveFailures = 0
                }
            }

            let done = record.iteration == s.iterations
            if record.iteration % s.evalEvery == 0 || done {
                if try checkAndValidate(lastGood: &lastGood, progress: progress) { consecutiveFailures = 0 }
            }
            if record.iteration % s.checkpointEvery == 0 || done {
                try saveCheckpoint(name: "latest")
            }
            if let logFailure { throw try stopped(by: logFailure, progress: progress) }
            if let code = try stopIfSignalled(progress: progress) {
                status = code
                break
            }
        }
        progress.finish()
        if isRoot { try writeCurve() }
        if status == 0 && isRoot { try fitMatchModels() }
        if status == 0 { summarise() }
        if let failure = stderrFailure ?? progress.failure {
            throw TunegenError("\(failure.description); training finished and saved \(shown("latest.safetensors"))")
        }
        return status
    }

    /// The log could not be written: saves latest and returns the error that ends the run.
    private func stopped(by logFailure: TunegenError, progress: ProgressLine) throws -> TunegenError {
        progress.finish()
        try saveCheckpoint(name: "latest")
        let curve = curveOrMessage()
        return TunegenError("\(logFailure.description); training stopped at iteration \(record.iteration) and saved "
            + "\(shown("latest.safetensors")) (resume with --resume); \(curve)")
    }

    /// After a step: when a stop signal arrived (on any rank, under mpirun every rank stops after
    /// the same step; a Ctrl-C reaches the ranks as SIGTERM), saves latest and returns the exit
    /// status; nil to go on.
    private func stopIfSignalled(progress: ProgressLine) throws -> Int32? {
        let signal = StopSignals.requested
        guard group?.anyStopRequested(signal != 0) ?? (signal != 0) else { return nil }
        progress.finish()
        try saveCheckpoint(name: "latest")
        say("stopped by \(signal == 0 ? "another rank" : StopSignals.name(signal)) at iteration \(record.iteration): saved \(shown("latest.safetensors")); resume with --resume")
        // A group keeps the Ctrl-C status whatever signal mpirun used to pass it on.
        return group != nil || signal == 0 ? 130 : 128 + signal
    }

    /// The run's opening lines: corpus, augmentation, model, data-parallel split, resume point.
    private func announce() {
        let s = settings
        say("tunegen train: \(corpus.files.count) file(s), \(corpus.tunesFound) tunes: \(corpus.training.count) training, "
            + "\(corpus.validation.count) validation, \(corpus.skippedInvalid) skipped for errors"
            + (corpus.duplicatesFolded > 0 ? ", \(corpus.duplicatesFolded) duplicates folded" : ""))
        if let a = augmentation {
            say("--augment-transpose: \(a.copies) transposed copies of the training tunes added (to \(TrainingCorpus.augmentationTonics.joined(separator: " "))), "
                + "\(a.refused) left as they are; validation tunes as written")
        }
        say("model: V \(vocabulary.count), E \(s.embedding), H \(s.hidden), L \(s.layers) (\(trainer.model.parameters.count) parameters); "
            + "B \(s.trainer.batch), T \(s.trainer.steps), lr \(s.trainer.optimizer.learningRate), \(s.iterations) iterations, seed \(s.seed), "
            + "\(s.weightPrecision.rawValue) recurrent weights; "
            + "OpenBLAS \(OpenBLASCore.description)")
        if let group, group.size > 1 {
            let (low, high) = (s.trainer.batch / group.size, (s.trainer.batch + group.size - 1) / group.size)
            say("data-parallel: \(group.size) processes (MPI), \(low == high ? "\(low)" : "\(low)–\(high)") of the \(s.trainer.batch) streams each; rank 0 writes")
        }
        if record.iteration > 0 { say("resuming at iteration \(record.iteration)") }

    }

    /// At a validation point: ranks agree on the weights; weights too large or a non-finite
    /// validation score go through the same guard as a non-finite step (back to `lastGood`);
    /// otherwise the weights become the new last good state. Returns true when it recovered.
    private func checkAndValidate(lastGood: inout (parameters: [Float], state: TrainingState), progress: ProgressLine) throws -> Bool {
        try group?.checkSameWeights(trainer.model.parameters, iteration: record.iteration)
        if !ModelFile.weightsInRange(trainer.model.parameters) {
            // Finite but huge weights (a learning rate far too high) are on their way to NaN.
            progress.note("step \(record.iteration): weights beyond ±\(Int(ModelFile.weightLimit)) or not finite")
            try recover(to: lastGood, progress: progress)
            return true
        }
        guard validate(progress: progress) else {
            progress.note("step \(record.iteration): validation score not finite")
            try recover(to: lastGood, progress: progress)
            return true
        }
        lastGood = (trainer.model.parameters, trainer.state)
        return false
    }

    /// The non-finite guard's remedy: back to the last good state at half the learning rate;
    /// after 10 cuts, saves that state and gives up with an error.
    private func recover(to lastGood: (parameters: [Float], state: TrainingState), progress: ProgressLine) throws {
        record.learningRateCuts += 1
        trainer.restore(parameters: lastGood.parameters, state: lastGood.state)
        guard record.learningRateCuts <= 10 else {
            progress.finish()
            record.learningRateCuts = 10
            try saveCheckpoint(name: "latest")
            throw GroupFailure(TunegenError("training diverged: non-finite values persist after 10 learning-rate cuts; the last good state is saved in \(shown("latest.safetensors")). Try a smaller --lr or --clip"))
        }
        let lr = settings.trainer.optimizer.learningRate / Float(1 << record.learningRateCuts)
        trainer.adam.config.learningRate = lr
        progress.note("restored the last good state and lowered the learning rate to \(lr)")
    }

    // MARK: Steps of the loop

    /// Scores the validation text; keeps best.safetensors when it improves. Returns false (and
    /// records nothing) when the score is not finite.
    private func validate(progress: ProgressLine) -> Bool {
        guard validationTokens.count >= 2 else { return true }
        // A model trained on whole tunes is scored on whole tunes, each from a zero state (the
        // text as one stream would carry state across tunes, which it never saw in training).
        let bpc = settings.trainer.batchMode == .tunes
            ? Trainer.bitsPerCharacter(model: trainer.model, tunes: validationTunes, streams: 8, steps: 100)
            : trainer.evaluate(validationTokens, streams: 8, steps: 100)
        guard bpc.isFinite else { return false }
        record.lastValidationBPC = bpc
        record.validationCurve.append([Double(record.iteration), bpc])
        progress.validation = bpc
        if bpc < (record.bestValidationBPC ?? .infinity) {
            record.bestValidationBPC = bpc
            do { try saveCheckpoint(name: "best") } catch { progress.note("could not write best.safetensors: \(error)") }
        }
        return true
    }

    // MARK: Files

    private func createOutFolder() throws {
        do {
            try OutputFile.makeFolder(outFolder.path)
        } catch {
            throw TunegenError("cannot create output folder '\(outName)': \(error)")
        }
    }

    private func writeLog(_ log: StepLog, stats: StepStats, bits: Double, seconds: Double) throws {
        struct Line: Encodable {
            var step: Int, loss: Double, loss_bits: Double, val_bpc: Double?, lr: Double, chars_per_s: Double, elapsed: Double
            /// Data-parallel runs only: milliseconds of the step spent exchanging gradients.
            var exchange_ms: Double?
        }
        let line = Line(step: record.iteration, loss: Double(stats.loss), loss_bits: bits,
                        val_bpc: record.lastValidationBPC, lr: Double(stats.learningRate),
                        chars_per_s: Double(stats.characters) / max(seconds, 1e-9), elapsed: record.elapsed,
                        exchange_ms: group?.reducer.map { $0.lastExchangeSeconds * 1000 })
        try log.append(try JSONOutput.compact(line), step: record.iteration)
    }

    /// Writes OUT/name.safetensors atomically, with the full training state. Never writes
    /// non-finite weights (Checkpoint would refuse to read them back).
    private func saveCheckpoint(name: String) throws {
        guard isRoot else { return }
        let parameters = trainer.model.parameters
        guard ModelFile.weightsInRange(parameters) else { return }
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
            try OutputFile.write(svg, to: url)
        } catch {
            throw TunegenError("cannot write '\(shown("loss.svg"))': \(error)")
        }
    }

    /// Writes loss.svg; returns what happened, for a message that already reports another failure.
    /// At most this many training tunes (evenly spaced) fit the match model when there are too
    /// few validation tunes (fewer than `matchFitMinimum`).
    static let matchFitTunes = 300
    static let matchFitMinimum = 20

    /// Fits the match model (CharModel.MatchModel) of latest.safetensors and best.safetensors, each
    /// for its own weights, and adds it to the file's metadata. (Also what `train --resume FILE`
    /// does for a finished run: a model from before the match model gets one.) The mixing weights
    /// are interpolation weights, so they are fitted on text the LSTM did not learn from, as
    /// deleted interpolation does: the validation tunes (on training tunes, where the LSTM is surer
    /// than on new text, they would trust copying too little). The score it reports for them is
    /// two-fold cross-fitted: each half of the validation tunes scored with weights fitted on the
    /// other half.
    private func fitMatchModels() throws {
        let known = vocabulary
        let onValidation = validationTunes.count >= Self.matchFitMinimum
        let fitTunes = onValidation ? validationTunes : {
            let stride = max(1, (corpus.training.count + Self.matchFitTunes - 1) / Self.matchFitTunes)
            return Swift.stride(from: 0, to: corpus.training.count, by: stride).map {
                known.encodeDroppingUnknown(TrainingCorpus.text([corpus.training[$0]])).ids
            }
        }()
        let halves = [stride(from: 0, to: fitTunes.count, by: 2).map { fitTunes[$0] }, stride(from: 1, to: fitTunes.count, by: 2).map { fitTunes[$0] }]
        let names = ["latest", "best"].filter { FileManager.default.fileExists(atPath: outFolder.appendingPathComponent("\($0).safetensors").path) }
        for name in names {
            let url = outFolder.appendingPathComponent("\(name).safetensors")
            var file = try ModelFile.load(url)
            let observed = halves.map { MatchModel.observations(model: file.model, tunes: $0) }
            let match = MatchModel.fit(observed[0] + observed[1])
            file.checkpoint.extraMetadata[ModelFile.matchModelKey] = match.json
            do { try file.checkpoint.write(to: url) } catch { throw TunegenError("cannot write checkpoint '\(url.path)': \(error)") }
            guard name == names.last, onValidation else { continue }  // best, when there is one
            let alone = MatchModel.none
            let counts = observed.map { Double($0.count) }
            let crossFitted = (MatchModel.fit(observed[1]).bitsPerCharacter(observed[0]) * counts[0]
                + MatchModel.fit(observed[0]).bitsPerCharacter(observed[1]) * counts[1]) / (counts[0] + counts[1])
            say(String(format: "match model: fitted on the %d validation tunes; each from a zero state they score %.3f bits/char with it (two-fold cross-fitted), %.3f without",
                       fitTunes.count, crossFitted, alone.bitsPerCharacter(observed[0] + observed[1])))
        }
    }

    private func curveOrMessage() -> String {
        do { try writeCurve(); return "loss curve: \(shown("loss.svg"))" } catch { return "\(error)" }
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

    /// The first failed write to standard error; the run goes on (its files are what matter)
    /// and ends with this error once everything is saved.
    private var stderrFailure: TunegenError?
    private var progress: ProgressLine?

    private func say(_ line: String) {
        guard isRoot, stderrFailure == nil, progress?.failure == nil else { return }
        do { try Output.stderr(line + "\n") } catch let e as TunegenError { stderrFailure = e } catch {}
    }
}

/// A checkpoint checked for resuming: everything read from it (settings, loop record, trainer
/// state) range-checked before any of it is used, and the memory the run needs estimated.
public struct ResumePoint {
    public var file: ModelFile
    public var settings: RunSettings
    var record: TrainingRun.Record
    /// The trainer's state as the checkpoint reader checked it (shapes, ranges); the trainer
    /// checks it against its own configuration before restoring it.
    public var state: TrainingState
    /// The iteration the resumed run continues from.
    public var iteration: Int { record.iteration }

    /// Checks `file` (shown as `path`) for resuming, with `iterations` extending the run if given.
    /// Throws a TunegenError saying what is wrong; never traps on any file content.
    public static func check(_ file: ModelFile, path: String, iterations: Int?) throws -> ResumePoint {
        guard file.checkpoint.trainingState != nil else {
            throw TunegenError("\(path): has no training state to resume from (a shipped or exported model); train from scratch or pass a latest.safetensors")
        }
        guard let settings = try? JSONDecoder().decode(RunSettings.self, from: Data(file.checkpoint.hyperparameters.utf8)),
              let recordText = file.checkpoint.extraMetadata["training_record"],
              let record = try? JSONDecoder().decode(TrainingRun.Record.self, from: Data(recordText.utf8)) else {
            throw TunegenError("\(path): its training settings are missing or unreadable, so it cannot be resumed exactly")
        }
        var s = settings
        if let iterations { s.iterations = iterations }
        if let problem = s.problem(for: file.checkpoint.shape) {
            throw TunegenError("\(path): cannot resume: \(problem)")
        }
        func curveOK(_ curve: [[Double]]) -> Bool {
            curve.count <= record.iteration + 1 && curve.allSatisfy { $0.count == 2 && $0[1].isFinite && (0 ... Double(s.iterations)).contains($0[0]) }
        }
        guard record.iteration >= 0, record.iteration <= s.iterations, (0 ... 10).contains(record.learningRateCuts),
              (0 ... record.iteration).contains(record.skipped), record.elapsed.isFinite, record.elapsed >= 0,
              curveOK(record.trainingCurve), curveOK(record.validationCurve),
              record.bestValidationBPC?.isFinite ?? true, record.lastValidationBPC?.isFinite ?? true,
              let step = file.checkpoint.trainingState?.adam.step, (0 ... (1 << 40)).contains(step) else {
            throw TunegenError("\(path): cannot resume: its training record is out of range (iteration \(record.iteration) of \(s.iterations))")
        }
        try MachineMemory.check(MemoryEstimate.training(shape: file.checkpoint.shape, batch: s.trainer.batch, steps: s.trainer.steps),
                                what: "resuming \(path)", hint: "it cannot be resumed on this machine")
        return ResumePoint(file: file, settings: s, record: record, state: file.checkpoint.trainingState!)
    }
}
