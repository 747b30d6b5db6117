// CharLSTM: Embedding(V,E) → L stacked LSTM layers of H units → Linear(H,V), with exact
// gradients by backpropagation through time. This file holds the model and its parameters; the
// passes are forward/backward pairs in CharLSTM+Passes.swift, the per-step kernels in
// CharLSTM+Step.swift, the activations they keep in ForwardCache.swift.
//
// Shapes (fixed letters): B batch streams, T time steps, V vocabulary, E embedding width,
// H hidden units, L layers. Gates in every 4H block are ordered i, f, g, o (PyTorch's):
//   gates = x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh,   i,f,o = σ(·), g = tanh(·)
//   c' = f⊙c + i⊙g,   h' = o⊙tanh(c')
// Inside the model, activations are time-major: row t·B + b is stream b at step t, so each
// step's B rows are contiguous. Work that does not depend on the previous step (input
// projection of all T·B positions, output layer, every weight gradient) is one GEMM each,
// outside the time loop; only h·W_hhᵀ (forward) and dGates·W_hh (backward) run per step.
//
// Two paths compute the same function (tests compare them):
// - the fast path (default): W_hh packed per layer for the small-M kernels of Linalg
//   (`packedMultiply` forward, `packedMultiplyTransposed` backward, fused `lstmCellForward`), and
//   layer 0's input projection read from a table [V, 4H] = embedding·W_ih0ᵀ + b_ih0 + b_hh0
//   (one row per token: a gather instead of a GEMM, and no W_ih read per sampled character);
// - the reference path (`usesPackedKernels = false`): OpenBLAS per-step products, the Swift
//   cell and the input-projection GEMM.
// The packs (fp32 or bf16, `weightPrecision`) and the table are derived from `parameters` and
// rebuilt by its `didSet`, so they cannot be stale: every write to `parameters` (`Trainer.restore`,
// a test nudging one weight) repacks before the next product can run; the trainer's update
// (`update(with:gradients:)`) writes the packs in the same pass as Adam, then the table is rebuilt.
import Foundation
import Linalg

/// The model: its shape, layout and all parameters in one flat buffer (PyTorch state_dict order).
public struct CharLSTM: Sendable {
    public let shape: ModelShape
    public let layout: ParameterLayout
    /// Every parameter, `layout.count` floats; tensor `name` lives at `layout[name]!.range`.
    /// Every write (the whole array, one element, or one `withUnsafeMutableBufferPointer` call)
    /// rebuilds the packed W_hh and the input table (ref: a few ms): for bulk changes assign the
    /// whole array or write through one buffer-pointer call, not element by element in a loop.
    public var parameters: [Float] {
        didSet { refreshDerived() }
    }
    /// Threads for the sequential per-step products of the fast path: 1, or 2 to split each
    /// product's output columns with the kernels' persistent worker (nil: 2 when the machine has
    /// at least 2 processors). Results are bit-identical for any setting (each output element is
    /// computed by one thread, in one order). The reference path uses it as OpenBLAS's thread
    /// count inside the time loop. Large products outside the time loop use OpenBLAS's setting.
    public var recurrentThreads: Int? = nil
    /// True (default): packed kernels, fused cell and input table. False: the reference path
    /// (OpenBLAS per-step products, Swift cell, input GEMM) — for tests and comparisons.
    public var usesPackedKernels = true
    /// How the fast path stores W_hh for the per-step products: fp32, or bf16 (half the bytes
    /// per step, fp32 arithmetic; see `WeightPrecision`). The parameters, their gradients and
    /// Adam stay fp32 either way; the bf16 copy is rounded from them at every repack, so training
    /// with bf16 trains the model whose recurrent weights are the rounded masters. The reference
    /// path always reads fp32. Changing it repacks.
    public var weightPrecision: WeightPrecision = .fp32 {
        didSet {
            guard weightPrecision != oldValue else { return }
            recurrentPacks = Self.makePacks(shape, weightPrecision)
            refreshDerived()
        }
    }
    /// When set, the passes and the trainer add each phase's time to it (`tunegen bench`).
    public var profile: StepProfile? = nil
    let offsets: Offsets
    /// Derived from `parameters` (see `refreshDerived`): per layer, W_hh [4H, H] packed for both
    /// per-step products.
    private(set) var recurrentPacks: [PackedWeights]
    /// True while an update that packs W_hh itself (`update(with:gradients:)`) writes the
    /// parameters: the rebuild that follows then leaves the packs alone.
    private var packsWrittenByUpdate = false
    /// Derived from `parameters`: [V, 4H], row v = embedding[v]·W_ih0ᵀ + b_ih0 + b_hh0.
    private(set) var inputTable: [Float]

    /// Threads the per-step kernels use.
    var kernelThreads: Int { max(1, min(2, recurrentThreads ?? PackedWeights.defaultThreads)) }

    /// A model with the given parameters (`layout.count` floats, state_dict order).
    public init(shape: ModelShape, parameters: [Float]) {
        let layout = ParameterLayout(shape)
        precondition(parameters.count == layout.count, "CharLSTM: \(parameters.count) parameters, layout needs \(layout.count)")
        self.shape = shape
        self.layout = layout
        self.parameters = parameters
        self.offsets = Offsets(layout)
        let H = shape.hiddenSize
        recurrentPacks = Self.makePacks(shape, .fp32)
        inputTable = [Float](repeating: 0, count: shape.vocabularySize * 4 * H)
        refreshDerived()
    }

    /// One Adam update of every parameter, each layer's W_hh packed in the same pass (Adam's
    /// `update(parameters:gradients:packing:at:)`): what `adam.update(parameters: &parameters, …)`
    /// leaves, bit for bit, without reading W_hh again to repack it. The input table is rebuilt
    /// as after any write.
    public mutating func update(with adam: inout Adam, gradients: [Float]) {
        guard usesPackedKernels else { return adam.update(parameters: &parameters, gradients: gradients) }
        // The packs move out while the parameters are written (one owner each: no copy), and back.
        var packs = recurrentPacks
        recurrentPacks = []
        let whh = offsets.layers.map(\.whh)
        packsWrittenByUpdate = true
        adam.update(parameters: &parameters, gradients: gradients, packing: &packs, at: whh)
        packsWrittenByUpdate = false
        recurrentPacks = packs
    }

    /// Empty packs of every layer's W_hh [4H, H], for both per-step products.
    private static func makePacks(_ shape: ModelShape, _ precision: WeightPrecision) -> [PackedWeights] {
        let H = shape.hiddenSize
        return (0 ..< shape.layers).map { _ in PackedWeights(rows: 4 * H, columns: H, transposedProduct: true, precision: precision) }
    }

    /// Bytes of packed W_hh one step's products read, summed over layers (one forward product
    /// reads the forward panels, one backward product the backward ones: the same size).
    public var recurrentBytesPerProduct: Int { recurrentPacks.reduce(0) { $0 + $1.bytesPerProduct } }

    /// Bytes of weights one sampled character reads on the fast path (one stream): every layer's
    /// W_hh in `weightPrecision`, the fp32 W_ih of layers above the first, one row of the input
    /// table, and the output layer. What sampling speed is bound by when they are not in cache.
    public var bytesPerSampledCharacter: Int {
        let (V, H, L) = (shape.vocabularySize, shape.hiddenSize, shape.layers)
        return recurrentBytesPerProduct + (L - 1) * 4 * H * H * 4 + 4 * H * 4 + (V * H + V) * 4
    }

    /// Rebuilds everything derived from `parameters`: the packed W_hh of every layer and the
    /// layer-0 input table. Runs on every write to `parameters`; costs about one or two per-step
    /// products per layer plus a V×E×4H product (ref: ~2–5 ms, small next to a training step).
    private mutating func refreshDerived() {
        timed(profile, .repack) { rebuildDerived() }
    }

    private mutating func rebuildDerived() {
        precondition(parameters.count == layout.count, "CharLSTM: \(parameters.count) parameters, layout needs \(layout.count)")
        let (V, E, H) = (shape.vocabularySize, shape.embeddingSize, shape.hiddenSize)
        let offsets = self.offsets
        parameters.withUnsafeBufferPointer { pbuf in
            let p = pbuf.baseAddress!
            if !packsWrittenByUpdate {
                for l in 0 ..< shape.layers { recurrentPacks[l].pack(from: p + offsets.layers[l].whh) }
            }
            let o = offsets.layers[0]
            inputTable.withUnsafeMutableBufferPointer { tbuf in
                let t = tbuf.baseAddress!
                BLAS.sgemm(.none, .transpose, m: V, n: 4 * H, k: E, alpha: 1, a: p + offsets.embedding, lda: E,
                           b: p + o.wih, ldb: E, beta: 0, c: t, ldc: 4 * H)
                for r in 0 ..< V {
                    let row = t + r * 4 * H
                    for j in 0 ..< 4 * H { row[j] += p[o.bih + j] + p[o.bhh + j] }
                }
            }
        }
    }

    /// A freshly initialised model, drawn from `rng` the way the reference (Keras defaults,
    /// `keras_like_init` in bench/common.py) draws it: embedding U(−0.05, 0.05); every LSTM
    /// kernel and the dense kernel Glorot-uniform U(±√(6/(fan_in+fan_out))) with fan_in the
    /// input width and fan_out 4H (V for the dense layer); bias_ih zero except the forget
    /// block (f, rows H..<2H) = 1; bias_hh zero; fc.bias zero. Draw order = layout order.
    public init(shape: ModelShape, rng: inout SeededGenerator) {
        let layout = ParameterLayout(shape)
        var p = [Float](repeating: 0, count: layout.count)
        let (V, E, H) = (shape.vocabularySize, shape.embeddingSize, shape.hiddenSize)
        func fill(_ name: String, _ limit: Float) {
            for i in layout[name]!.range { p[i] = rng.uniform(-limit, limit) }
        }
        fill("embedding.weight", 0.05)
        for k in 0 ..< shape.layers {
            let input = k == 0 ? E : H
            fill("lstm.weight_ih_l\(k)", (6 / Float(input + 4 * H)).squareRoot())
            fill("lstm.weight_hh_l\(k)", (6 / Float(H + 4 * H)).squareRoot())
            let bias = layout["lstm.bias_ih_l\(k)"]!.offset
            for j in H ..< 2 * H { p[bias + j] = 1 }
        }
        fill("fc.weight", (6 / Float(H + V)).squareRoot())
        self.init(shape: shape, parameters: p)
    }

    /// Offsets of each tensor in the flat buffer, looked up once.
    struct Offsets: Sendable {
        struct Layer: Sendable { var wih, whh, bih, bhh, input: Int }
        var embedding: Int
        var layers: [Layer]
        var fcWeight: Int
        var fcBias: Int

        init(_ layout: ParameterLayout) {
            let s = layout.shape
            embedding = layout["embedding.weight"]!.offset
            layers = (0 ..< s.layers).map { k in
                Layer(wih: layout["lstm.weight_ih_l\(k)"]!.offset, whh: layout["lstm.weight_hh_l\(k)"]!.offset,
                      bih: layout["lstm.bias_ih_l\(k)"]!.offset, bhh: layout["lstm.bias_hh_l\(k)"]!.offset,
                      input: k == 0 ? s.embeddingSize : s.hiddenSize)
            }
            fcWeight = layout["fc.weight"]!.offset
            fcBias = layout["fc.bias"]!.offset
        }
    }
}

/// How the per-step products store the recurrent weights (Linalg's type, part of this module's API).
public typealias WeightPrecision = Linalg.WeightPrecision
