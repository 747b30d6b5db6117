// Batcher: B streams of T characters from an encoded text, as [B,T] inputs and the same
// characters shifted by one as targets. Two modes:
// - windows (`.random`, the reference's get_batch): B random windows per batch, state reset each time;
// - tunes (`.tunes`): each stream walks through one tune from its start, window after window, its
//   (h, c) carried from window to window (truncated BPTT with the state kept). When its tune ends,
//   the rest of the window is padding whose targets are −1 (no loss, no gradient), and the next
//   window starts a new tune, drawn at random, from a zero state.
// Its whole state (generator words, batches drawn, each stream's tune and offset) is plain
// integers, for exact resume.

/// One batch: `inputs` and `targets` are [B,T] token ids, stream-major; a target of −1 is padding.
public struct Batch: Sendable, Equatable {
    public var inputs: [Int32]
    public var targets: [Int32]
    public var batch: Int
    public var steps: Int
    /// Per stream: true when its state must start from zero (a new window or a new tune).
    public var resets: [Bool]
    /// Targets that are not padding.
    public var targetCount: Int
}

/// Where a batcher is: enough to resume it exactly.
public struct BatcherState: Sendable, Equatable, Codable {
    public var rng: [UInt64]
    /// Batches drawn so far.
    public var position: Int
    /// Tunes mode: per stream, the tune index and the offset of the next window in it
    /// ([tune₀, offset₀, tune₁, offset₁, …]; a tune of −1 means none yet). Empty in windows mode.
    public var cursors: [Int]
    public init(rng: [UInt64], position: Int, cursors: [Int] = []) { (self.rng, self.position, self.cursors) = (rng, position, cursors) }
}

public struct Batcher: Sendable {
    /// `random`: random windows (`train --batching windows`); `tunes`: streams walk whole tunes.
    public enum Mode: String, Sendable, Codable { case random, tunes }

    public let tokens: [Int32]
    public let batch: Int
    public let steps: Int
    public let mode: Mode
    /// Tunes mode: tune i is tokens[tuneBounds[i] ..< tuneBounds[i + 1]].
    let tuneBounds: [Int]
    var rng: SeededGenerator
    var position = 0
    var cursors: [Int]

    /// `tokens` must hold more than T+1 ids. Tunes mode needs `tuneStarts`: the offset in
    /// `tokens` where each tune begins (ascending, the first 0); a tune runs to the next start.
    public init(tokens: [Int32], batch: Int, steps: Int, mode: Mode = .random, seed: UInt64, tuneStarts: [Int] = []) {
        precondition(batch > 0 && steps > 0)
        precondition(tokens.count > steps + 1, "text of \(tokens.count) characters is too short for windows of \(steps + 1)")
        (self.tokens, self.batch, self.steps, self.mode) = (tokens, batch, steps, mode)
        rng = SeededGenerator(seed: seed)
        if mode == .tunes {
            precondition(tuneStarts.first == 0 && zip(tuneStarts, tuneStarts.dropFirst()).allSatisfy { $0 < $1 }
                         && tuneStarts.last! < tokens.count, "tune starts must ascend from 0 within the text")
            tuneBounds = tuneStarts + [tokens.count]
            precondition(zip(tuneBounds, tuneBounds.dropFirst()).contains { $1 - $0 >= 2 }, "no tune has a character to predict")
            cursors = [Int](repeating: -1, count: 2 * batch)
        } else {
            tuneBounds = []
            cursors = []
        }
    }

    public var state: BatcherState {
        get { BatcherState(rng: rng.state, position: position, cursors: cursors) }
        set {
            precondition(newValue.cursors.count == cursors.count, "batcher state is for another mode or batch")
            rng.state = newValue.rng
            position = newValue.position
            cursors = newValue.cursors
        }
    }

    /// What is wrong with `state` for this batcher (read from an untrusted file), or nil.
    public func problem(with state: BatcherState) -> String? {
        guard state.rng.count == 4, state.rng.contains(where: { $0 != 0 }), state.position >= 0 else { return "generator or position out of range" }
        guard state.cursors.count == cursors.count else { return "\(state.cursors.count / 2) stream cursors for \(cursors.count / 2) streams" }
        for b in 0 ..< cursors.count / 2 {
            let (tune, offset) = (state.cursors[2 * b], state.cursors[2 * b + 1])
            if tune == -1 && offset == 0 { continue }
            guard tune >= 0, tune < tuneBounds.count - 1, offset >= 0, offset <= tuneBounds[tune + 1] - tuneBounds[tune] else {
                return "stream \(b) is at tune \(tune), offset \(offset), outside the \(tuneBounds.count - 1) training tunes"
            }
        }
        return nil
    }

    /// The next batch.
    public mutating func next() -> Batch {
        position += 1
        return mode == .random ? nextWindows() : nextTunes()
    }

    /// B windows at start positions uniform in 0 ..< n−T with n = count−1 (as the reference).
    /// Modulo bias ≤ n/2⁶⁴.
    private mutating func nextWindows() -> Batch {
        var inputs = [Int32](repeating: 0, count: batch * steps)
        var targets = inputs
        let range = UInt64(tokens.count - 1 - steps)
        for b in 0 ..< batch {
            let s = Int(rng.next() % range)
            for t in 0 ..< steps {
                inputs[b * steps + t] = tokens[s + t]
                targets[b * steps + t] = tokens[s + t + 1]
            }
        }
        return Batch(inputs: inputs, targets: targets, batch: batch, steps: steps,
                     resets: [Bool](repeating: true, count: batch), targetCount: batch * steps)
    }

    /// Each stream's next window of its tune (or of a new one, when its tune is done).
    private mutating func nextTunes() -> Batch {
        var inputs = [Int32](repeating: 0, count: batch * steps)
        var targets = [Int32](repeating: -1, count: batch * steps)
        var resets = [Bool](repeating: false, count: batch)
        var count = 0
        let tunes = UInt64(tuneBounds.count - 1)
        for b in 0 ..< batch {
            var (tune, offset) = (cursors[2 * b], cursors[2 * b + 1])
            // A tune of n characters has n−1 targets; it is done when none is left.
            if tune < 0 || tuneBounds[tune] + offset + 1 >= tuneBounds[tune + 1] {
                repeat { tune = Int(rng.next() % tunes) } while tuneBounds[tune + 1] - tuneBounds[tune] < 2
                offset = 0
                resets[b] = true
            }
            let start = tuneBounds[tune] + offset, end = tuneBounds[tune + 1]
            let n = min(steps, end - 1 - start)
            for t in 0 ..< n {
                inputs[b * steps + t] = tokens[start + t]
                targets[b * steps + t] = tokens[start + t + 1]
            }
            count += n
            (cursors[2 * b], cursors[2 * b + 1]) = (tune, offset + n)
        }
        return Batch(inputs: inputs, targets: targets, batch: batch, steps: steps, resets: resets, targetCount: count)
    }
}
