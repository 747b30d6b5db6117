// Checkpoint: a trained model (and optionally the optimizer and data state for exact resume)
// as one safetensors file whose tensors are PyTorch's state_dict for Embedding -> LSTM -> Linear.
// Reading validates everything against the shape stored in the metadata, so a damaged or
// foreign file is a clear `CheckpointError`, never a trap or a huge allocation.

import Foundation

/// A bad checkpoint: which file, what is wrong, and a hint.
public struct CheckpointError: Error, CustomStringConvertible, Sendable {
    public var file: String?
    public var message: String
    public var hint: String

    public init(file: String? = nil, _ message: String, hint: String) {
        self.file = file
        self.message = message
        self.hint = hint
    }

    public var description: String {
        (file.map { "\($0): " } ?? "") + "\(message)\nhint: \(hint)"
    }
}

/// A model file: shape, vocabulary, the flat parameters and what produced them, and optionally
/// the `TrainingState` that resumes training bit for bit. Tensors: PyTorch's state_dict names
/// (F32), and with a training state `optim.m.<name>`, `optim.v.<name>` (F32, the parameter's
/// shape), `optim.step` (I64 [1]), `train.rng_state` (U64 [4], the batcher's generator),
/// `train.data_state` (I64 [1 + 2B]: its position, then per stream the tune and offset in tunes
/// mode), `train.dropout_rng` (U64 [4]) and, when state is
/// carried between windows, `train.carried_h`, `train.carried_c` (F32 [L, B, H]).
/// Files written before this layout stored the dropout generator as `train.extra.dropout_rng`
/// and carried floats as U64 bit patterns (`train.extra.carried_h/_c/_shape`); they still load.
public struct Checkpoint: Sendable, Equatable {
    public static let format = "tunegen-charlstm"
    public static let formatVersion = "1"
    /// Metadata keys written by this type; `extraMetadata` may not use them.
    public static let reservedMetadataKeys: Set<String> = ["format", "format_version", "shape", "vocabulary", "hyperparameters"]

    /// Caps on read, so a forged header cannot ask for absurd allocations.
    public static let maxVocabularySize = 1 << 16
    public static let maxWidth = 1 << 14
    public static let maxLayers = 64
    public static let maxParameterCount = 1 << 31
    /// Largest batcher position or carried batch accepted on read.
    static let maxPosition: Int64 = 1 << 40
    static let maxCarriedBatch = 1 << 16

    public var shape: ModelShape
    /// V symbols; token id = index. Stored as a JSON array of one-scalar strings in id order.
    public var vocabulary: Vocabulary
    /// All weights in `ParameterLayout(shape)` order (PyTorch's state_dict order).
    public var parameters: [Float]
    /// The run's configuration as JSON text, opaque here but checked to be JSON.
    public var hyperparameters: String
    /// Free-form notes: command line, seed, validation bits per character...
    public var extraMetadata: [String: String]
    public var trainingState: TrainingState?

    public init(shape: ModelShape, vocabulary: Vocabulary, parameters: [Float], hyperparameters: String = "{}",
                extraMetadata: [String: String] = [:], trainingState: TrainingState? = nil) {
        precondition(vocabulary.count == shape.vocabularySize, "vocabulary size differs from V")
        precondition((try? StrictJSON.parse(hyperparameters)) != nil, "hyperparameters must be JSON text")
        precondition(parameters.count == ParameterLayout(shape).count, "parameter count differs from layout")
        precondition(extraMetadata.keys.allSatisfy { !Self.reservedMetadataKeys.contains($0) }, "reserved metadata key")
        if let t = trainingState {
            precondition(t.adam.m.count == parameters.count && t.adam.v.count == parameters.count, "Adam moments differ from layout")
            precondition(t.adam.step >= 0 && t.batcher.rng.count == 4 && t.dropoutRNG.count == 4, "malformed training state")
            if let c = t.carried { precondition(c.layers == shape.layers && c.hidden == shape.hiddenSize, "carried state shape") }
        }
        self.shape = shape
        self.vocabulary = vocabulary
        self.parameters = parameters
        self.hyperparameters = hyperparameters
        self.extraMetadata = extraMetadata
        self.trainingState = trainingState
    }

    public var layout: ParameterLayout { ParameterLayout(shape) }

    // MARK: To a SafeTensorsFile

    /// The safetensors contents: model tensors, training-state tensors, metadata.
    public func safeTensorsFile() -> SafeTensorsFile {
        var metadata = extraMetadata
        metadata["format"] = Self.format
        metadata["format_version"] = Self.formatVersion
        metadata["shape"] = "{\"vocabulary_size\":\(shape.vocabularySize),\"embedding_size\":\(shape.embeddingSize),"
            + "\"hidden_size\":\(shape.hiddenSize),\"layers\":\(shape.layers)}"
        metadata["vocabulary"] = "[" + vocabulary.symbols.map { StrictJSON.quote(String($0)) }.joined(separator: ",") + "]"
        metadata["hyperparameters"] = hyperparameters
        var tensors: [String: SafeTensor] = [:]
        for r in layout.tensors {
            tensors[r.name] = SafeTensor(floats: Array(parameters[r.range]), shape: r.shape)
        }
        if let t = trainingState {
            for r in layout.tensors {
                tensors["optim.m.\(r.name)"] = SafeTensor(floats: Array(t.adam.m[r.range]), shape: r.shape)
                tensors["optim.v.\(r.name)"] = SafeTensor(floats: Array(t.adam.v[r.range]), shape: r.shape)
            }
            tensors["optim.step"] = SafeTensor(int64s: [Int64(t.adam.step)], shape: [1])
            tensors["train.rng_state"] = SafeTensor(uint64s: t.batcher.rng, shape: [4])
            let data = ([t.batcher.position] + t.batcher.cursors).map(Int64.init)
            tensors["train.data_state"] = SafeTensor(int64s: data, shape: [data.count])
            tensors["train.dropout_rng"] = SafeTensor(uint64s: t.dropoutRNG, shape: [4])
            if let c = t.carried {
                tensors["train.carried_h"] = SafeTensor(floats: c.h, shape: [c.layers, c.batch, c.hidden])
                tensors["train.carried_c"] = SafeTensor(floats: c.c, shape: [c.layers, c.batch, c.hidden])
            }
        }
        return SafeTensorsFile(metadata: metadata, tensors: tensors)
    }

    /// The file's bytes (deterministic).
    public func serialized() -> [UInt8] { safeTensorsFile().serialized() }
}

// MARK: - From a SafeTensorsFile

extension Checkpoint {
    static func fail(_ message: String, hint: String = "the checkpoint is damaged or was not written by tunegen") -> CheckpointError {
        CheckpointError(message, hint: hint)
    }

    /// Validates a parsed safetensors file as a tunegen checkpoint: metadata, then the tensor
    /// set, then every tensor's dtype, shape and values.
    public init(validating file: SafeTensorsFile) throws {
        let md = file.metadata
        guard let format = md["format"] else {
            throw Self.fail("metadata has no 'format' key", hint: "this safetensors file was not written by tunegen")
        }
        guard format == Self.format else {
            throw Self.fail("metadata 'format' is '\(format)', expected '\(Self.format)'", hint: "this safetensors file was not written by tunegen")
        }
        guard let version = md["format_version"] else { throw Self.fail("metadata has no 'format_version' key") }
        guard version == Self.formatVersion else {
            throw Self.fail("format_version '\(version)' is not supported (this tunegen reads '\(Self.formatVersion)')",
                            hint: "use the tunegen version that wrote this checkpoint")
        }
        guard let shapeText = md["shape"] else { throw Self.fail("metadata has no 'shape' key") }
        let shape = try Self.parseShape(shapeText, fail: { Self.fail($0, hint: $1) })
        guard let vocabText = md["vocabulary"] else { throw Self.fail("metadata has no 'vocabulary' key") }
        let vocabulary = try Self.parseVocabulary(vocabText, size: shape.vocabularySize)
        guard let hyper = md["hyperparameters"] else { throw Self.fail("metadata has no 'hyperparameters' key") }
        do { _ = try StrictJSON.parse(hyper) } catch {
            throw Self.fail("metadata 'hyperparameters' is not valid JSON: \(error)")
        }
        let extra = md.filter { !Self.reservedMetadataKeys.contains($0.key) }
        let layout = ParameterLayout(shape)
        let hasTraining = try Self.checkTensorNames(file, layout)
        var parameters = [Float](repeating: 0, count: layout.count)
        for r in layout.tensors { try Self.floats(file, r.name, r, into: &parameters) }
        let state = hasTraining ? try Self.trainingState(file, shape: shape) : nil
        self.init(shape: shape, vocabulary: vocabulary, parameters: parameters, hyperparameters: hyper,
                  extraMetadata: extra, trainingState: state)
    }

    /// A JSON array of V strings, each exactly one Unicode scalar, in ascending code-point order
    /// (the order token ids follow).
    static func parseVocabulary(_ text: String, size: Int) throws -> Vocabulary {
        let json: StrictJSON.Value
        do { json = try StrictJSON.parse(text) } catch {
            throw fail("metadata 'vocabulary' is not valid JSON: \(error)")
        }
        guard case .array(let items) = json else { throw fail("metadata 'vocabulary' is not a JSON array") }
        var symbols: [Unicode.Scalar] = []
        for (i, item) in items.enumerated() {
            guard case .string(let s) = item else { throw fail("vocabulary[\(i)] is \(item.summary), not a string") }
            let scalars = Array(s.unicodeScalars)
            guard scalars.count == 1 else {
                throw fail("vocabulary[\(i)] \(StrictJSON.quote(s)) is \(scalars.count) Unicode scalars, expected exactly 1")
            }
            if let last = symbols.last, last.value >= scalars[0].value {
                throw fail("vocabulary[\(i)] \(StrictJSON.quote(s)) " + (last == scalars[0] ? "repeats vocabulary[\(i - 1)]"
                           : "is out of ascending code-point order, so token ids would not match the weights"))
            }
            symbols.append(scalars[0])
        }
        guard symbols.count == size else {
            throw fail("vocabulary has \(symbols.count) entries but the shape says V = \(size)")
        }
        return Vocabulary(symbols: symbols)
    }

    /// Checks that the file holds exactly the model's tensors, plus, all or nothing, a training
    /// state's. Returns whether the training state is there.
    static func checkTensorNames(_ file: SafeTensorsFile, _ layout: ParameterLayout) throws -> Bool {
        var required = Set(layout.tensors.map(\.name))
        let names = Set(file.tensors.keys)
        let hasTraining = names.contains { $0.hasPrefix("optim.") || $0.hasPrefix("train.") }
        var optional: Set<String> = []
        if hasTraining {
            for r in layout.tensors { required.insert("optim.m.\(r.name)"); required.insert("optim.v.\(r.name)") }
            required.formUnion(["optim.step", "train.rng_state", "train.data_state"])
            required.insert(names.contains("train.extra.dropout_rng") ? "train.extra.dropout_rng" : "train.dropout_rng")
            optional = ["train.carried_h", "train.carried_c", "train.extra.carried_h", "train.extra.carried_c", "train.extra.carried_shape"]
        }
        if let missing = required.subtracting(names).sorted().first {
            throw fail("tensor '\(missing)' is missing" + (hasTraining && !layout.tensors.contains { $0.name == missing }
                ? " (training state must be complete or absent)" : ""))
        }
        if let name = names.subtracting(required).subtracting(optional).sorted().first {
            let s = layout.shape
            throw fail("unexpected tensor '\(name)' for shape V=\(s.vocabularySize) E=\(s.embeddingSize) H=\(s.hiddenSize) L=\(s.layers)")
        }
        return hasTraining
    }

    /// Copies F32 tensor `name` of shape `r.shape` into `buffer[r.range]`; every value finite
    /// (and non-negative if asked).
    static func floats(_ file: SafeTensorsFile, _ name: String, _ r: ParameterRange, into buffer: inout [Float],
                       nonNegative: Bool = false) throws {
        let t = file.tensors[name]!
        guard t.dtype == .f32 else { throw fail("tensor '\(name)' has dtype \(t.dtype.rawValue), expected F32") }
        guard t.shape == r.shape else { throw fail("tensor '\(name)' has shape \(t.shape), expected \(r.shape)") }
        let values = t.floats!
        for (i, x) in values.enumerated() where !x.isFinite || (nonNegative && x < 0) {
            var rest = i
            var index: [Int] = []
            for d in r.shape.reversed() { index.append(rest % d); rest /= d }
            throw fail("tensor '\(name)' holds \(x) at index \(Array(index.reversed())) (element \(i))",
                       hint: nonNegative && x.isFinite
                           ? "Adam second moments cannot be negative; the file is damaged"
                           : "training diverged before this checkpoint was written; use an earlier checkpoint or a lower learning rate")
        }
        buffer.replaceSubrange(r.range, with: values)
    }

    /// Parses `{"vocabulary_size":V,"embedding_size":E,"hidden_size":H,"layers":L}` with caps.
    private static func parseShape(_ text: String, fail: (String, String) -> CheckpointError) throws -> ModelShape {
        let hint = "the checkpoint is damaged or was not written by tunegen"
        let json: StrictJSON.Value
        do { json = try StrictJSON.parse(text) } catch {
            throw fail("metadata 'shape' is not valid JSON: \(error)", hint)
        }
        guard case .object(let members) = json else { throw fail("metadata 'shape' is not a JSON object", hint) }
        let fields = Dictionary(uniqueKeysWithValues: members)
        let keys: [(String, Int)] = [("vocabulary_size", maxVocabularySize), ("embedding_size", maxWidth),
                                     ("hidden_size", maxWidth), ("layers", maxLayers)]
        if let extra = Set(fields.keys).subtracting(keys.map(\.0)).sorted().first {
            throw fail("metadata 'shape' has unexpected key '\(extra)'", hint)
        }
        var values: [Int] = []
        for (key, cap) in keys {
            guard let v = fields[key] else { throw fail("metadata 'shape' has no '\(key)'", hint) }
            guard let n = v.nonNegativeInt, n >= 1, n <= cap else {
                throw fail("metadata 'shape' \(key) is \(v.summary), expected an integer from 1 to \(cap)", hint)
            }
            values.append(n)
        }
        let shape = ModelShape(vocabularySize: values[0], embeddingSize: values[1], hiddenSize: values[2], layers: values[3])
        // With the caps above this cannot overflow Int64; the cap keeps allocations sane.
        let (v, e, h, l) = (values[0], values[1], values[2], values[3])
        let count = v * e + 4 * h * e + (l - 1) * 4 * h * h + l * (4 * h * h + 8 * h) + v * h + v
        guard count <= maxParameterCount else {
            throw fail("metadata 'shape' implies \(count) parameters, more than the limit of \(maxParameterCount)", hint)
        }
        return shape
    }
}
