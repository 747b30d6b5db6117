// Data-parallel training: N processes train one model. Each draws the same B-stream batch from
// the same seeded batcher and computes only its own streams (`share`), so the shares are
// disjoint, cover the batch, and depend only on rank and step. After backward, the gradients are
// summed over processes in a fixed order, so every process applies the same update and holds the
// same weights, and a repeat with the same N gives the same bits. The trainer calls this once
// per step (`GradientReducer`); moving bytes between processes is a `Communicator`'s (MPI's).

import Dispatch

/// What data-parallel training needs from a group of processes: data movement and integer
/// reductions only, so all float arithmetic (and its order) stays ours.
public protocol Communicator: AnyObject {
    /// This process's index, 0 ..< size.
    var rank: Int { get }
    /// Processes in the group.
    var size: Int { get }
    /// Rank r's `send[k·count ..< (k+1)·count]` lands in rank k's `receive[r·count ..< (r+1)·count]`.
    /// Both buffers hold size·count floats. Collective: every rank calls it, in the same order.
    func allToAll(_ send: UnsafeBufferPointer<Float>, _ receive: UnsafeMutableBufferPointer<Float>, count: Int)
    /// Rank r's `send` (count floats) lands in every rank's `receive[r·count ..< (r+1)·count]`. Collective.
    func allGather(_ send: UnsafeBufferPointer<Float>, _ receive: UnsafeMutableBufferPointer<Float>, count: Int)
    /// Element-wise maximum (`maximum` true) or minimum over ranks. Collective.
    func reduce(_ values: [Int64], maximum: Bool) -> [Int64]
}

/// The trainer's hook for data-parallel training (nil: one process, the default).
public protocol GradientReducer: AnyObject {
    /// The streams of a `batch`-stream batch this process computes: disjoint across processes,
    /// together all of 0 ..< batch.
    func share(ofBatch batch: Int) -> Range<Int>
    /// Called once per step, after backward, on every process. `gradients` is this process's
    /// gradient of its mean loss `loss` over its `streams` of the batch's `batch` (zero when
    /// `loss` is not finite); the trainer passes target counts (its share's of the whole batch's),
    /// which weigh the shares the same way when nothing is padding. Replaces the gradients with the whole batch's and returns its mean
    /// loss (not finite when any process's was), bit-identical on every process.
    func reduce(gradients: inout [Float], loss: Float, streams: Int, of batch: Int) -> Float
}

/// Sums gradients over a `Communicator`'s processes in a fixed order: an allreduce written as
/// reduce-scatter (MPI_Alltoall) → sum in rank order → allgather (MPI_Allgather). It moves the
/// bytes of a ring allreduce, 2·(N−1)/N of the gradient per process per step; unlike
/// MPI_Allreduce, whose summation order depends on the algorithm Open MPI picks for a message
/// size and process count, its result is the same on every rank and in every repeat.
public final class DataParallelReducer: GradientReducer {
    public let communicator: Communicator
    private var send: [Float] = []
    private var receive: [Float] = []
    private var summed: [Float] = []
    /// Wall-clock seconds of the last `reduce`'s exchange: moving and summing the gradients, and
    /// waiting in the collectives for the slowest rank's backward.
    public private(set) var lastExchangeSeconds = 0.0

    public init(communicator: Communicator) { self.communicator = communicator }

    /// Rank r gets streams ⌊r·B/N⌋ ..< ⌊(r+1)·B/N⌋: sizes differ by at most one. Needs B ≥ N.
    public func share(ofBatch batch: Int) -> Range<Int> {
        let (r, n) = (communicator.rank, communicator.size)
        precondition(batch >= n, "a batch of \(batch) streams cannot be shared by \(n) processes")
        return (r * batch / n) ..< ((r + 1) * batch / n)
    }

    public func reduce(gradients: inout [Float], loss: Float, streams: Int, of batch: Int) -> Float {
        let n = communicator.size
        let p = gradients.count
        // The batch's mean loss is Σ_r (b_r/B)·loss_r, and so is its gradient; one more slot carries the loss.
        let weight = Float(streams) / Float(batch)
        let chunk = (p + 1 + n - 1) / n
        if send.count != chunk * n {
            send = [Float](repeating: 0, count: chunk * n)
            receive = send
            summed = [Float](repeating: 0, count: chunk)
        }
        gradients.withUnsafeBufferPointer { g in
            send.withUnsafeMutableBufferPointer { s in
                for i in 0 ..< p { s[i] = weight * g[i] }
                s[p] = loss.isFinite ? weight * loss : .nan
            }
        }
        let start = DispatchTime.now().uptimeNanoseconds
        defer { lastExchangeSeconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
        // Reduce-scatter: rank k receives every rank's piece k, and sums it in rank order 0, 1, … N−1.
        send.withUnsafeBufferPointer { s in
            receive.withUnsafeMutableBufferPointer { communicator.allToAll(s, $0, count: chunk) }
        }
        receive.withUnsafeBufferPointer { r in
            summed.withUnsafeMutableBufferPointer { out in
                for i in 0 ..< chunk { out[i] = r[i] }
                for k in 1 ..< n {
                    let piece = k * chunk
                    for i in 0 ..< chunk { out[i] += r[piece + i] }
                }
            }
        }
        // Allgather: every rank gets every summed piece.
        summed.withUnsafeBufferPointer { s in
            send.withUnsafeMutableBufferPointer { communicator.allGather(s, $0, count: chunk) }
        }
        send.withUnsafeBufferPointer { s in
            gradients.withUnsafeMutableBufferPointer { g in
                for i in 0 ..< p { g[i] = s[i] }
            }
        }
        return send[p]
    }
}

extension Communicator {
    /// True on every rank when `flag` is true on any rank. Collective.
    public func any(_ flag: Bool) -> Bool { reduce([flag ? 1 : 0], maximum: true)[0] != 0 }

    /// True on every rank when every rank passed the same `value`. Collective.
    public func allEqual(_ value: UInt64) -> Bool {
        let v = Int64(bitPattern: value)
        return reduce([v], maximum: false)[0] == reduce([v], maximum: true)[0]
    }
}

extension Batch {
    /// The batch's streams `range` only: [range.count, T] inputs and targets, their resets and targets counted.
    public func streams(_ range: Range<Int>) -> Batch {
        precondition(range.lowerBound >= 0 && range.upperBound <= batch)
        let span = range.lowerBound * steps ..< range.upperBound * steps
        let targets = Array(self.targets[span])
        return Batch(inputs: Array(inputs[span]), targets: targets, batch: range.count, steps: steps,
                     resets: Array(resets[range]), targetCount: targets.count(where: { $0 >= 0 }))
    }
}

/// A checksum of a float buffer's exact bits (FNV-1a over the 32-bit patterns), to compare
/// weights across processes without moving them.
public func weightChecksum(_ values: [Float]) -> UInt64 {
    var hash: UInt64 = 0xCBF2_9CE4_8422_2325
    for x in values {
        hash ^= UInt64(x.bitPattern)
        hash = hash &* 0x0000_0100_0000_01B3
    }
    return hash
}
