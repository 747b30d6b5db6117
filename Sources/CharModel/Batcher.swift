// Batcher: B windows of T+1 characters from an encoded text, as [B,T] inputs and the same
// windows shifted by one as targets. Random mode draws B start positions per batch like the
// reference's get_batch; sequential mode gives each stream its own contiguous segment and
// walks it window by window, so (h, c) can be carried between batches (truncated BPTT).
// Its whole state (generator words and window position) is plain numbers for exact resume.

/// One batch: `inputs` and `targets` are [B,T] token ids, stream-major.
public struct Batch: Sendable, Equatable {
    public var inputs: [Int32]
    public var targets: [Int32]
    public var batch: Int
    public var steps: Int
    /// True when carried state must be reset before this batch (random mode: always;
    /// sequential mode: at the start of each pass over the text).
    public var startsSequences: Bool
}

/// Where a batcher is: enough to resume it exactly.
public struct BatcherState: Sendable, Equatable, Codable {
    public var rng: [UInt64]
    public var position: Int
    public init(rng: [UInt64], position: Int) { (self.rng, self.position) = (rng, position) }
}

public struct Batcher: Sendable {
    public enum Mode: String, Sendable, Codable { case random, sequential }

    public let tokens: [Int32]
    public let batch: Int
    public let steps: Int
    public let mode: Mode
    var rng: SeededGenerator
    /// Sequential mode: index of the next window within each stream's segment. Random mode: batches drawn.
    var position = 0

    /// `tokens` must hold more than T+1 ids (sequential: at least B·(T+1)).
    public init(tokens: [Int32], batch: Int, steps: Int, mode: Mode = .random, seed: UInt64) {
        precondition(batch > 0 && steps > 0)
        precondition(tokens.count > steps + 1, "text of \(tokens.count) characters is too short for windows of \(steps + 1)")
        if mode == .sequential {
            precondition(tokens.count - 1 >= batch * steps, "text too short for \(batch) sequential streams of \(steps)")
        }
        (self.tokens, self.batch, self.steps, self.mode) = (tokens, batch, steps, mode)
        rng = SeededGenerator(seed: seed)
    }

    public var state: BatcherState {
        get { BatcherState(rng: rng.state, position: position) }
        set { rng.state = newValue.rng; position = newValue.position }
    }

    /// Characters of each sequential stream's segment.
    var segment: Int { (tokens.count - 1) / batch }

    /// The next batch.
    public mutating func next() -> Batch {
        var inputs = [Int32](repeating: 0, count: batch * steps)
        var targets = inputs
        var starts: [Int] = []
        var fresh = true
        switch mode {
        case .random:
            // Start uniform in 0 ..< n−T with n = count−1 (as the reference). Modulo bias ≤ n/2⁶⁴.
            let range = UInt64(tokens.count - 1 - steps)
            starts = (0 ..< batch).map { _ in Int(rng.next() % range) }
            position += 1
        case .sequential:
            let windows = segment / steps
            if position >= windows { position = 0 }
            fresh = position == 0
            starts = (0 ..< batch).map { $0 * segment + position * steps }
            position += 1
        }
        for (b, s) in starts.enumerated() {
            for t in 0 ..< steps {
                inputs[b * steps + t] = tokens[s + t]
                targets[b * steps + t] = tokens[s + t + 1]
            }
        }
        return Batch(inputs: inputs, targets: targets, batch: batch, steps: steps, startsSequences: fresh)
    }
}
