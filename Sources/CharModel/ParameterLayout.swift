// ParameterLayout: where every tensor of the model lives in the one flat parameter buffer.
// Names, shapes and order are PyTorch's state_dict() for Embedding(V,E) -> LSTM(E,H,L) ->
// Linear(H,V), so a checkpoint maps one to one onto `load_state_dict`. Gradients and Adam
// moments use the same layout. Gates inside every 4H block are ordered i, f, g, o.

/// Model sizes. V vocabulary, E embedding width, H hidden units, L stacked layers.
public struct ModelShape: Sendable, Hashable, Codable {
    public var vocabularySize: Int
    public var embeddingSize: Int
    public var hiddenSize: Int
    public var layers: Int

    public init(vocabularySize: Int, embeddingSize: Int, hiddenSize: Int, layers: Int) {
        precondition(vocabularySize > 0 && embeddingSize > 0 && hiddenSize > 0 && layers > 0)
        self.vocabularySize = vocabularySize
        self.embeddingSize = embeddingSize
        self.hiddenSize = hiddenSize
        self.layers = layers
    }
}

/// One named tensor: a row-major block of `count` floats starting at `offset`.
public struct ParameterRange: Sendable, Hashable {
    public var name: String
    public var shape: [Int]
    public var offset: Int
    public var count: Int { shape.reduce(1, *) }
    public var range: Range<Int> { offset ..< offset + count }
}

/// The layout of all parameters, in state_dict order:
/// `embedding.weight [V,E]`, then for each layer k: `lstm.weight_ih_l{k} [4H, E or H]`,
/// `lstm.weight_hh_l{k} [4H,H]`, `lstm.bias_ih_l{k} [4H]`, `lstm.bias_hh_l{k} [4H]`;
/// then `fc.weight [V,H]`, `fc.bias [V]`.
public struct ParameterLayout: Sendable, Hashable {
    public let shape: ModelShape
    public let tensors: [ParameterRange]
    /// Total number of floats.
    public let count: Int

    public init(_ shape: ModelShape) {
        self.shape = shape
        let (v, e, h) = (shape.vocabularySize, shape.embeddingSize, shape.hiddenSize)
        var tensors: [ParameterRange] = []
        var offset = 0
        func add(_ name: String, _ dims: [Int]) {
            let r = ParameterRange(name: name, shape: dims, offset: offset)
            tensors.append(r)
            offset += r.count
        }
        add("embedding.weight", [v, e])
        for k in 0 ..< shape.layers {
            add("lstm.weight_ih_l\(k)", [4 * h, k == 0 ? e : h])
            add("lstm.weight_hh_l\(k)", [4 * h, h])
            add("lstm.bias_ih_l\(k)", [4 * h])
            add("lstm.bias_hh_l\(k)", [4 * h])
        }
        add("fc.weight", [v, h])
        add("fc.bias", [v])
        self.tensors = tensors
        self.count = offset
    }

    /// The tensor called `name`, or nil.
    public subscript(name: String) -> ParameterRange? {
        tensors.first { $0.name == name }
    }
}
