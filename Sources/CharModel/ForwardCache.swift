// ForwardCache: what CharLSTM's forward pass keeps for its backward pass, plus the backward
// scratch. Sized for one (B, T) and reused across steps, so training allocates nothing per step.
// Every activation is time-major: row t·B + b is stream b at step t.

/// Activations of one forward pass over B streams of T steps, and the backward's scratch.
/// Letters: B streams, T steps, V vocabulary, E embedding width, H hidden units, L layers.
public final class ForwardCache {
    public let shape: ModelShape
    /// B.
    public let batch: Int
    /// T.
    public let steps: Int
    /// Inputs and targets, time-major [T·B]; a target of −1 is padding (no loss, no gradient).
    var tokens: [Int32]
    var targets: [Int32]
    var hasTargets = false
    /// Targets that are not padding (the loss is their mean).
    var targetCount = 0
    var backwardDone = false
    /// Dropout rate of the last forward pass (0: none) and, per layer boundary l → l+1
    /// (L−1 of them), the mask [T·B, H] (0 or 1/(1−rate)) and the dropped outputs [T·B, H].
    var dropoutRate: Float = 0
    let dropMask: [FloatBuffer]
    let dropped: [FloatBuffer]
    /// Embedded inputs of layer 0, [T·B, E].
    let embedded: FloatBuffer
    /// Per layer: gate activations (i, f, g, o) [T·B, 4H]; h and c [(T+1)·B, H] with the
    /// initial state in rows 0..<B; tanh(c) [T·B, H].
    let gates: [FloatBuffer]
    let h: [FloatBuffer]
    let c: [FloatBuffer]
    let tanhC: [FloatBuffer]
    /// Logits and softmax probabilities of the top layer, [T·B, V]. The backward pass turns
    /// `probs` into the logit gradients in place.
    let logits: FloatBuffer
    let probs: FloatBuffer
    // Backward scratch.
    let dGates: FloatBuffer    // [T·B, 4H]
    let dAbove: FloatBuffer    // [T·B, H]  gradient reaching a layer's outputs from above
    let dInput: FloatBuffer    // [T·B, E]  gradient reaching the embedded inputs
    let dh: FloatBuffer        // [B, H]
    let dc: FloatBuffer        // [B, H]
    let bias: FloatBuffer      // [4H]     b_ih + b_hh (forward), Σ dGates (backward)
    let dTable: FloatBuffer    // [V, 4H]  fast path: layer-0 gate gradients summed per input token

    public init(shape: ModelShape, batch B: Int, steps T: Int) {
        precondition(B > 0 && T > 0)
        self.shape = shape
        self.batch = B
        self.steps = T
        let (V, E, H, L) = (shape.vocabularySize, shape.embeddingSize, shape.hiddenSize, shape.layers)
        let n = B * T
        tokens = [Int32](repeating: 0, count: n)
        targets = tokens
        embedded = FloatBuffer(n * E)
        gates = (0 ..< L).map { _ in FloatBuffer(n * 4 * H) }
        h = (0 ..< L).map { _ in FloatBuffer((T + 1) * B * H) }
        c = (0 ..< L).map { _ in FloatBuffer((T + 1) * B * H) }
        tanhC = (0 ..< L).map { _ in FloatBuffer(n * H) }
        logits = FloatBuffer(n * V)
        probs = FloatBuffer(n * V)
        dGates = FloatBuffer(n * 4 * H)
        dAbove = FloatBuffer(n * H)
        dInput = FloatBuffer(n * E)
        dh = FloatBuffer(B * H)
        dc = FloatBuffer(B * H)
        bias = FloatBuffer(4 * H)
        dTable = FloatBuffer(V * 4 * H)
        dropMask = (0 ..< max(0, L - 1)).map { _ in FloatBuffer(n * H) }
        dropped = (0 ..< max(0, L - 1)).map { _ in FloatBuffer(n * H) }
    }

    /// The dropout mask between layer l and l+1 of the last forward pass, time-major [T·B, H].
    public func dropoutMask(after layer: Int) -> [Float] { dropMask[layer].array }

    /// Logits of the last forward pass, batch-major [B, T, V].
    public var logitsBatchMajor: [Float] {
        let V = shape.vocabularySize
        var out = [Float](repeating: 0, count: batch * steps * V)
        for b in 0 ..< batch {
            for t in 0 ..< steps {
                for j in 0 ..< V { out[(b * steps + t) * V + j] = logits.p[(t * batch + b) * V + j] }
            }
        }
        return out
    }

    /// Stores [B, T] stream-major inputs (and targets) time-major, checking every id is in 0..<V
    /// (a target may also be −1: padding).
    func load(inputs: [Int32], targets: [Int32]?) {
        let (B, T, V) = (batch, steps, shape.vocabularySize)
        var count = 0
        precondition(inputs.count == B * T && (targets?.count ?? B * T) == B * T, "inputs/targets must be [B,T] = \(B)x\(T)")
        for b in 0 ..< B {
            for t in 0 ..< T {
                let x = inputs[b * T + t]
                precondition(x >= 0 && Int(x) < V, "token \(x) out of range 0..<\(V)")
                tokens[t * B + b] = x
                if let targets {
                    let y = targets[b * T + t]
                    precondition(y >= -1 && Int(y) < V, "target \(y) out of range 0..<\(V) (or −1 for padding)")
                    self.targets[t * B + b] = y
                    if y >= 0 { count += 1 }
                }
            }
        }
        hasTargets = targets != nil
        targetCount = count
        backwardDone = false
    }
}
