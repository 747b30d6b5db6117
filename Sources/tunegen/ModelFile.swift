// ModelFile: a trained model on disk, as tunegen's commands see it. Bridges the checkpoint
// (safetensors, PyTorch names) and the model, vocabulary and trainer state in memory, and
// knows where the shipped model lives.
import CharModel
import Foundation

/// A model loaded from a checkpoint: weights, vocabulary, and (for resuming) training state.
struct ModelFile {
    var model: CharLSTM
    var vocabulary: Vocabulary
    var checkpoint: Checkpoint

    /// The model tunegen ships, trained on corpus/irish.abc (see README, "The shipped model").
    static var shippedModelURL: URL? {
        Bundle.module.url(forResource: "irish", withExtension: "safetensors", subdirectory: "Resources")
    }

    /// Reads and validates `url`; a bad file is a CommandFailure naming it and saying why.
    static func load(_ url: URL) throws -> ModelFile {
        let checkpoint: Checkpoint
        do {
            checkpoint = try Checkpoint.read(from: url)
        } catch let error as CheckpointError {
            throw CommandFailure("\(url.path): not a usable tunegen model: \(error.description)")
        } catch {
            throw CommandFailure("\(url.path): cannot read the model: \(error.localizedDescription)")
        }
        return try ModelFile(checkpoint: checkpoint, source: url.path)
    }

    /// Loads `path`, or the shipped model when nil.
    static func load(path: String?) throws -> ModelFile {
        if let path { return try load(URL(fileURLWithPath: path)) }
        guard let url = shippedModelURL else {
            throw CommandFailure("the shipped model is missing from this build; pass --model FILE")
        }
        return try load(url)
    }

    /// The model in `checkpoint`; every vocabulary entry must be exactly one Unicode scalar
    /// (tunegen's vocabulary unit), which the checkpoint format alone does not promise.
    init(checkpoint: Checkpoint, source: String) throws {
        var symbols: [Unicode.Scalar] = []
        for (id, entry) in checkpoint.vocabulary.enumerated() {
            let scalars = Array(entry.unicodeScalars)
            guard scalars.count == 1 else {
                throw CommandFailure("\(source): vocabulary entry \(id) (\(entry.debugDescription)) is \(scalars.count) Unicode scalars; tunegen models use one per entry")
            }
            symbols.append(scalars[0])
        }
        let vocabulary = Vocabulary(symbols: symbols)
        guard vocabulary.symbols == symbols else {
            throw CommandFailure("\(source): the vocabulary is not in ascending code-point order, so token ids would not match the weights")
        }
        self.checkpoint = checkpoint
        self.vocabulary = vocabulary
        model = CharLSTM(shape: checkpoint.shape, parameters: checkpoint.parameters)
    }

    /// The checkpoint's vocabulary entries, one string per token id.
    static func vocabularyStrings(_ vocabulary: Vocabulary) -> [String] {
        vocabulary.symbols.map { String(Character($0)) }
    }
}
