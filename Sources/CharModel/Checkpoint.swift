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

/// Optimizer and data-pipeline state for resuming training exactly where it stopped.
/// Stored as `optim.m.<name>`, `optim.v.<name>` (F32, the parameter's shape), `optim.step`
/// (I64 [1]), `train.rng_state` (U64 [n]), `train.data_state` (I64 [n]),
/// `train.extra.<key>` (U64 or I64 [n]).
public struct TrainingState: Sendable, Equatable {
    /// Number of Adam updates done so far.
    public var step: Int
    /// Adam first and second moments, in `ParameterLayout` order (same count as the parameters).
    public var adamM: [Float]
    public var adamV: [Float]
    /// The random generator's state words, opaque here.
    public var rngState: [UInt64]
    /// The batcher's position, opaque here.
    public var dataState: [Int64]
    /// Anything else the trainer wants back on resume.
    public var extraU64: [String: [UInt64]]
    public var extraI64: [String: [Int64]]

    public init(step: Int, adamM: [Float], adamV: [Float], rngState: [UInt64], dataState: [Int64],
                extraU64: [String: [UInt64]] = [:], extraI64: [String: [Int64]] = [:]) {
        self.step = step
        self.adamM = adamM
        self.adamV = adamV
        self.rngState = rngState
        self.dataState = dataState
        self.extraU64 = extraU64
        self.extraI64 = extraI64
    }
}

/// A model file: shape, vocabulary, the flat parameters and what produced them.
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

    public var shape: ModelShape
    /// One string per token id (V entries, each a single Character, unique).
    public var vocabulary: [String]
    /// All weights in `ParameterLayout(shape)` order (PyTorch's state_dict order).
    public var parameters: [Float]
    /// The trainer's configuration as JSON text, opaque here but checked to be JSON.
    public var hyperparameters: String
    /// Free-form notes: command line, seed, validation bits per character...
    public var extraMetadata: [String: String]
    public var trainingState: TrainingState?

    public init(shape: ModelShape, vocabulary: [String], parameters: [Float], hyperparameters: String = "{}",
                extraMetadata: [String: String] = [:], trainingState: TrainingState? = nil) {
        precondition(vocabulary.count == shape.vocabularySize, "vocabulary size differs from V")
        precondition(vocabulary.allSatisfy { $0.count == 1 } && Set(vocabulary).count == vocabulary.count,
                     "vocabulary entries must be unique single characters")
        precondition((try? StrictJSON.parse(hyperparameters)) != nil, "hyperparameters must be JSON text")
        precondition(parameters.count == ParameterLayout(shape).count, "parameter count differs from layout")
        precondition(extraMetadata.keys.allSatisfy { !Self.reservedMetadataKeys.contains($0) }, "reserved metadata key")
        if let t = trainingState {
            precondition(t.adamM.count == parameters.count && t.adamV.count == parameters.count, "Adam moments differ from layout")
            precondition(t.step >= 0, "negative step")
            precondition(t.extraU64.keys.allSatisfy { !$0.isEmpty && t.extraI64[$0] == nil } && t.extraI64.keys.allSatisfy { !$0.isEmpty },
                         "extra training-state keys must be non-empty and distinct")
        }
        self.shape = shape
        self.vocabulary = vocabulary
        self.parameters = parameters
        self.hyperparameters = hyperparameters
        self.extraMetadata = extraMetadata
        self.trainingState = trainingState
    }

    public var layout: ParameterLayout { ParameterLayout(shape) }

    // MARK: To and from a SafeTensorsFile

    /// The safetensors contents: model tensors, training-state tensors, metadata.
    public func safeTensorsFile() -> SafeTensorsFile {
        var metadata = extraMetadata
        metadata["format"] = Self.format
        metadata["format_version"] = Self.formatVersion
        metadata["shape"] = "{\"vocabulary_size\":\(shape.vocabularySize),\"embedding_size\":\(shape.embeddingSize),"
            + "\"hidden_size\":\(shape.hiddenSize),\"layers\":\(shape.layers)}"
        metadata["vocabulary"] = "[" + vocabulary.map(StrictJSON.quote).joined(separator: ",") + "]"
        metadata["hyperparameters"] = hyperparameters
        var tensors: [String: SafeTensor] = [:]
        for r in layout.tensors {
            tensors[r.name] = SafeTensor(floats: Array(parameters[r.range]), shape: r.shape)
        }
        if let t = trainingState {
            for r in layout.tensors {
                tensors["optim.m.\(r.name)"] = SafeTensor(floats: Array(t.adamM[r.range]), shape: r.shape)
                tensors["optim.v.\(r.name)"] = SafeTensor(floats: Array(t.adamV[r.range]), shape: r.shape)
            }
            tensors["optim.step"] = SafeTensor(int64s: [Int64(t.step)], shape: [1])
            tensors["train.rng_state"] = SafeTensor(uint64s: t.rngState, shape: [t.rngState.count])
            tensors["train.data_state"] = SafeTensor(int64s: t.dataState, shape: [t.dataState.count])
            for (k, v) in t.extraU64 { tensors["train.extra.\(k)"] = SafeTensor(uint64s: v, shape: [v.count]) }
            for (k, v) in t.extraI64 { tensors["train.extra.\(k)"] = SafeTensor(int64s: v, shape: [v.count]) }
        }
        return SafeTensorsFile(metadata: metadata, tensors: tensors)
    }

    /// The file's bytes (deterministic).
    public func serialized() -> [UInt8] { safeTensorsFile().serialized() }

    /// Validates a parsed safetensors file as a tunegen checkpoint.
    public init(validating file: SafeTensorsFile) throws {
        func fail(_ message: String, hint: String = "the checkpoint is damaged or was not written by tunegen") -> CheckpointError {
            CheckpointError(message, hint: hint)
        }
        let md = file.metadata
        guard let format = md["format"] else {
            throw fail("metadata has no 'format' key", hint: "this safetensors file was not written by tunegen")
        }
        guard format == Self.format else {
            throw fail("metadata 'format' is '\(format)', expected '\(Self.format)'", hint: "this safetensors file was not written by tunegen")
        }
        guard let version = md["format_version"] else { throw fail("metadata has no 'format_version' key") }
        guard version == Self.formatVersion else {
            throw fail("format_version '\(version)' is not supported (this tunegen reads '\(Self.formatVersion)')",
                       hint: "use the tunegen version that wrote this checkpoint")
        }

        // Shape.
        guard let shapeText = md["shape"] else { throw fail("metadata has no 'shape' key") }
        let shape = try Self.parseShape(shapeText, fail: fail)
        let layout = ParameterLayout(shape)

        // Vocabulary.
        guard let vocabText = md["vocabulary"] else { throw fail("metadata has no 'vocabulary' key") }
        let vocabJSON: StrictJSON.Value
        do { vocabJSON = try StrictJSON.parse(vocabText) } catch {
            throw fail("metadata 'vocabulary' is not valid JSON: \(error)")
        }
        guard case .array(let items) = vocabJSON else { throw fail("metadata 'vocabulary' is not a JSON array") }
        var vocabulary: [String] = []
        var seen: [String: Int] = [:]
        for (i, item) in items.enumerated() {
            guard case .string(let s) = item else { throw fail("vocabulary[\(i)] is \(item.summary), not a string") }
            guard s.count == 1 else {
                throw fail("vocabulary[\(i)] \(StrictJSON.quote(s)) is \(s.count) characters, expected exactly 1")
            }
            if let j = seen[s] { throw fail("vocabulary[\(i)] \(StrictJSON.quote(s)) repeats vocabulary[\(j)]") }
            seen[s] = i
            vocabulary.append(s)
        }
        guard vocabulary.count == shape.vocabularySize else {
            throw fail("vocabulary has \(vocabulary.count) entries but the shape says V = \(shape.vocabularySize)")
        }

        // Hyperparameters: opaque, but must be JSON.
        guard let hyper = md["hyperparameters"] else { throw fail("metadata has no 'hyperparameters' key") }
        do { _ = try StrictJSON.parse(hyper) } catch {
            throw fail("metadata 'hyperparameters' is not valid JSON: \(error)")
        }
        let extra = md.filter { !Self.reservedMetadataKeys.contains($0.key) }

        // Model tensors: exactly the layout's, F32, right shapes, finite.
        var expected = Set(layout.tensors.map(\.name))
        let names = Set(file.tensors.keys)
        let hasTraining = names.contains { $0.hasPrefix("optim.") || $0.hasPrefix("train.") }
        if hasTraining {
            for r in layout.tensors { expected.insert("optim.m.\(r.name)"); expected.insert("optim.v.\(r.name)") }
            expected.formUnion(["optim.step", "train.rng_state", "train.data_state"])
        }
        if let missing = expected.subtracting(names).sorted().first {
            throw fail("tensor '\(missing)' is missing" + (hasTraining && !layout.tensors.contains { $0.name == missing }
                ? " (training state must be complete or absent)" : ""))
        }
        let unexpected = names.subtracting(expected).filter { !$0.hasPrefix("train.extra.") || $0 == "train.extra." }
        if let name = unexpected.sorted().first {
            throw fail("unexpected tensor '\(name)' for shape V=\(shape.vocabularySize) E=\(shape.embeddingSize) H=\(shape.hiddenSize) L=\(shape.layers)")
        }

        func floats(_ name: String, _ r: ParameterRange, into buffer: inout [Float], nonNegative: Bool = false) throws {
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
        var parameters = [Float](repeating: 0, count: layout.count)
        for r in layout.tensors { try floats(r.name, r, into: &parameters) }

        var state: TrainingState?
        if hasTraining {
            var m = [Float](repeating: 0, count: layout.count)
            var v = [Float](repeating: 0, count: layout.count)
            for r in layout.tensors {
                try floats("optim.m.\(r.name)", r, into: &m)
                try floats("optim.v.\(r.name)", r, into: &v, nonNegative: true)
            }
            let stepTensor = file.tensors["optim.step"]!
            guard stepTensor.count == 1, stepTensor.shape.count <= 1 else {
                throw fail("tensor 'optim.step' has shape \(stepTensor.shape), expected [1] or []")
            }
            let step: Int
            switch stepTensor.dtype {
            case .i64: step = Int(stepTensor.int64s![0])
            case .u64:
                guard let s = Int(exactly: stepTensor.uint64s![0]) else { throw fail("tensor 'optim.step' is out of range") }
                step = s
            default: throw fail("tensor 'optim.step' has dtype \(stepTensor.dtype.rawValue), expected I64 or U64")
            }
            guard step >= 0 else { throw fail("tensor 'optim.step' is negative (\(step))") }
            func vector(_ name: String, _ dtype: SafeTensorsDType) throws -> SafeTensor {
                let t = file.tensors[name]!
                guard t.dtype == dtype else { throw fail("tensor '\(name)' has dtype \(t.dtype.rawValue), expected \(dtype.rawValue)") }
                guard t.shape.count == 1 else { throw fail("tensor '\(name)' has shape \(t.shape), expected one dimension") }
                return t
            }
            let rng = try vector("train.rng_state", .u64).uint64s!
            let data = try vector("train.data_state", .i64).int64s!
            var extraU64: [String: [UInt64]] = [:]
            var extraI64: [String: [Int64]] = [:]
            for name in names where name.hasPrefix("train.extra.") {
                let key = String(name.dropFirst("train.extra.".count))
                let t = file.tensors[name]!
                guard t.shape.count == 1 else { throw fail("tensor '\(name)' has shape \(t.shape), expected one dimension") }
                switch t.dtype {
                case .u64: extraU64[key] = t.uint64s!
                case .i64: extraI64[key] = t.int64s!
                default: throw fail("tensor '\(name)' has dtype \(t.dtype.rawValue), expected U64 or I64")
                }
            }
            state = TrainingState(step: step, adamM: m, adamV: v, rngState: rng, dataState: data,
                                  extraU64: extraU64, extraI64: extraI64)
        }
        self.init(shape: shape, vocabulary: vocabulary, parameters: parameters, hyperparameters: hyper,
                  extraMetadata: extra, trainingState: state)
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
