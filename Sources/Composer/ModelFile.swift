// ModelFile: a trained model on disk, as tunegen's commands see it. Bridges the checkpoint
// (safetensors, PyTorch names) and the model, vocabulary and trainer state in memory, and
// knows where the shipped model lives.
import CharModel
import Linalg
import Foundation

/// A model loaded from a checkpoint: weights, vocabulary, and (for resuming) training state.
public struct ModelFile {
    public var model: CharLSTM
    public var vocabulary: Vocabulary
    public var checkpoint: Checkpoint
    /// The match model `train` fitted for these weights (metadata `match_model`), mixed into
    /// sampling and scoring; nil for files without one (or when the user turns it off).
    public var matchModel: MatchModel?
    /// The metadata key holding `matchModel` (a JSON array of weights).
    public static let matchModelKey = "match_model"

    /// The model tunegen ships, trained on corpus/irish.abc (see README, "The shipped model").
    public static var shippedModelURL: URL? {
        Bundle.module.url(forResource: "irish", withExtension: "safetensors", subdirectory: "Resources")
    }

    /// Reads and validates `url`; a bad file is a TunegenError naming it and saying why.
    public static func load(_ url: URL) throws -> ModelFile {
        let checkpoint: Checkpoint
        do {
            checkpoint = try Checkpoint.read(from: url)
        } catch let error as CheckpointError {
            throw TunegenError("\(url.path): not a usable tunegen model: \(error.description)")
        } catch {
            throw TunegenError("\(url.path): cannot read the model: \(error.localizedDescription)")
        }
        return try ModelFile(checkpoint: checkpoint, source: url.path)
    }

    /// Loads `path`, or the shipped model when nil.
    public static func load(path: String?) throws -> ModelFile {
        if let path { return try load(URL(fileURLWithPath: path)) }
        guard let url = shippedModelURL else {
            throw TunegenError("the shipped model is missing from this build; pass --model FILE")
        }
        return try load(url)
    }

    /// The model in `checkpoint` (whose vocabulary the checkpoint reader has already checked:
    /// one Unicode scalar per entry, in ascending code-point order).
    public init(checkpoint: Checkpoint, source: String) throws {
        if let bad = checkpoint.parameters.firstIndex(where: { !(abs($0) <= Self.weightLimit) }) {
            throw TunegenError("\(source): weight \(bad) is \(checkpoint.parameters[bad]), beyond the ±\(Int(Self.weightLimit)) tunegen accepts "
                + "(a trained model's weights are within about ±10): the model diverged or the file is damaged, and it would compute NaN")
        }
        if let text = checkpoint.extraMetadata[Self.matchModelKey] {
            guard let match = MatchModel(json: text) else {
                throw TunegenError("\(source): metadata '\(Self.matchModelKey)' is not \(MatchModel.bucketCount) weights between 0 and \(MatchModel.maxWeight) "
                    + "(the file is damaged; export the model again from its training run)")
            }
            matchModel = match
        }
        self.checkpoint = checkpoint
        self.vocabulary = checkpoint.vocabulary
        model = CharLSTM(shape: checkpoint.shape, parameters: checkpoint.parameters)
        model.weightPrecision = trainedPrecision
    }

    /// The precision the model's recurrent weights were trained in (its settings say; fp32 for
    /// files from before the option, or without tunegen's settings): sampling uses it unless told,
    /// so the model sampled is the model trained.
    public var trainedPrecision: WeightPrecision {
        (try? JSONDecoder().decode(RunSettings.self, from: Data(checkpoint.hyperparameters.utf8)))?.weightPrecision ?? .fp32
    }

    /// The largest weight magnitude a model may have (the shipped model's is 1.9). Beyond it the
    /// products overflow Float's range in forward passes and scores become NaN.
    public static let weightLimit: Float = 1e6

    /// True when every weight is finite and within ±`weightLimit`.
    public static func weightsInRange(_ parameters: [Float]) -> Bool {
        parameters.allSatisfy { abs($0) <= weightLimit }
    }
}

extension ModelFile {
    /// Writes the model at `path` to `output` without its training state. Returns a summary line.
    public static func export(_ path: String, to output: String) throws -> String {
        var checkpoint = try load(URL(fileURLWithPath: path)).checkpoint
        checkpoint.trainingState = nil
        let url = URL(fileURLWithPath: output)
        do { try checkpoint.write(to: url) } catch { throw TunegenError("cannot write '\(output)': \(error)") }
        let size = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? 0
        return "\(output): \(checkpoint.parameters.count) parameters, \(size / 1024) KiB"
    }
}
