// Data-parallel training without MPI: N "ranks" are threads of this process talking through an
// in-memory Communicator, each with its own model and Trainer, as mpirun's processes would be.
// Checks the fixed-order reduction (same bits on every rank and in every repeat), the shares
// (disjoint, covering the batch, uneven ones weighted right), and that N ranks with batch B give
// one process's losses with batch B to float summation order. The real MPI run is in
// TunegenCLITests/DataParallelCLITests.
import Foundation
import XCTest
@testable import CharModel

/// Ranks as threads: each collective is publish → barrier → copy → barrier.
final class ThreadGroup: @unchecked Sendable {
    let size: Int
    private let condition = NSCondition()
    private var arrived = 0, generation = 0
    fileprivate var floatSlots: [UnsafePointer<Float>?]
    fileprivate var intSlots: [[Int64]]

    init(size: Int) {
        self.size = size
        floatSlots = Array(repeating: nil, count: size)
        intSlots = Array(repeating: [], count: size)
    }

    fileprivate func barrier() {
        condition.lock()
        let g = generation
        arrived += 1
        if arrived == size {
            arrived = 0
            generation += 1
            condition.broadcast()
        } else {
            while g == generation { condition.wait() }
        }
        condition.unlock()
    }

    /// Runs `body(rank)` on `size` threads at once and waits for all of them.
    func run(_ body: @escaping @Sendable (ThreadRank) -> Void) {
        let done = DispatchGroup()
        for r in 0 ..< size {
            done.enter()
            let rank = ThreadRank(group: self, rank: r)
            let thread = Thread { body(rank); done.leave() }
            thread.stackSize = 8 << 20
            thread.start()
        }
        done.wait()
    }
}

final class ThreadRank: Communicator, @unchecked Sendable {
    let group: ThreadGroup
    let rank: Int
    var size: Int { group.size }
    init(group: ThreadGroup, rank: Int) { (self.group, self.rank) = (group, rank) }

    func allToAll(_ send: UnsafeBufferPointer<Float>, _ receive: UnsafeMutableBufferPointer<Float>, count: Int) {
        group.floatSlots[rank] = send.baseAddress
        group.barrier()
        for r in 0 ..< size { for i in 0 ..< count { receive[r * count + i] = group.floatSlots[r]![rank * count + i] } }
        group.barrier()
    }

    func allGather(_ send: UnsafeBufferPointer<Float>, _ receive: UnsafeMutableBufferPointer<Float>, count: Int) {
        group.floatSlots[rank] = send.baseAddress
        group.barrier()
        for r in 0 ..< size { for i in 0 ..< count { receive[r * count + i] = group.floatSlots[r]![i] } }
        group.barrier()
    }

    func reduce(_ values: [Int64], maximum: Bool) -> [Int64] {
        group.intSlots[rank] = values
        group.barrier()
        let out = values.indices.map { i in
            group.intSlots.map { $0[i] }.reduce(values[i]) { maximum ? max($0, $1) : min($0, $1) }
        }
        group.barrier()
        return out
    }
}

/// A rank's weights and training state.
struct Snapshot: Equatable {
    var parameters: [Float]
    var training: TrainingState?
    var adam: AdamState { training!.adam }
    init(parameters: [Float], training: TrainingState? = nil) { (self.parameters, self.training) = (parameters, training) }
    init(_ trainer: Trainer) { self.init(parameters: trainer.model.parameters, training: trainer.state) }
}

/// Results of one rank, collected from its thread.
final class Results: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [Int: (losses: [Float], state: Snapshot)] = [:]
    func set(_ rank: Int, _ losses: [Float], _ state: Snapshot) { lock.withLock { values[rank] = (losses, state) } }
    subscript(rank: Int) -> (losses: [Float], state: Snapshot) { lock.withLock { values[rank]! } }
}

final class DataParallelTests: XCTestCase {
    static let text = String(repeating: "X:1\nT:Tune\nK:D\n|:ABcd efge|dcBA GFED:|\n|:f2af gfed|cABc d4:|\n\n", count: 8)
    let steps = 12

    static func makeTrainer(batch: Int, reducer: GradientReducer? = nil) -> Trainer {
        let vocab = Vocabulary(text: text)
        let shape = ModelShape(vocabularySize: vocab.count, embeddingSize: 6, hiddenSize: 10, layers: 2)
        var rng = SeededGenerator(seed: 3)
        let model = CharLSTM(shape: shape, rng: &rng)
        let config = TrainerConfig(batch: batch, steps: 7, optimizer: AdamConfig(learningRate: 0.01), clipNorm: 1,
                                   batchMode: .random, seed: 5)
        return Trainer(model: model, tokens: vocab.encode(text)!, config: config, reducer: reducer)
    }

    /// `ranks` threads train together for `steps` steps; each rank's losses and final state.
    func train(ranks: Int, batch: Int) -> [(losses: [Float], state: Snapshot)] {
        let results = Results()
        let steps = self.steps
        ThreadGroup(size: ranks).run { rank in
            let trainer = Self.makeTrainer(batch: batch, reducer: DataParallelReducer(communicator: rank))
            let losses = (0 ..< steps).map { _ in trainer.step().loss }
            results.set(rank.rank, losses, Snapshot(trainer))
        }
        return (0 ..< ranks).map { results[$0] }
    }

    func testSharesAreDisjointAndCoverTheBatch() {
        for (n, b) in [(1, 5), (2, 8), (3, 8), (4, 6), (5, 5), (7, 16)] {
            let group = ThreadGroup(size: n)
            let shares = (0 ..< n).map { DataParallelReducer(communicator: ThreadRank(group: group, rank: $0)).share(ofBatch: b) }
            XCTAssertEqual(shares.first?.lowerBound, 0)
            XCTAssertEqual(shares.last?.upperBound, b)
            for (a, next) in zip(shares, shares.dropFirst()) { XCTAssertEqual(a.upperBound, next.lowerBound) }
            XCTAssertLessThanOrEqual(shares.map(\.count).max()! - shares.map(\.count).min()!, 1, "\(n) ranks, B \(b)")
            XCTAssertTrue(shares.allSatisfy { !$0.isEmpty })
        }
    }

    /// The reduction is the share-weighted sum, in rank order, and the same bits on every rank.
    func testReductionIsTheWeightedSumOnEveryRank() {
        let n = 3, p = 1001, batch = 7
        let results = Results()
        ThreadGroup(size: n).run { rank in
            let reducer = DataParallelReducer(communicator: rank)
            var g = (0 ..< p).map { Float($0 % 13) * 0.37 + Float(rank.rank) }
            let streams = reducer.share(ofBatch: batch).count
            let loss = reducer.reduce(gradients: &g, loss: Float(rank.rank + 1), streams: streams, of: batch)
            results.set(rank.rank, [loss], Snapshot(parameters: g))
        }
        let counts = [2, 2, 3].map { Float($0) / 7 } // shares of 7 streams over 3 ranks
        for r in 0 ..< n {
            XCTAssertEqual(results[r].state.parameters, results[0].state.parameters)
            XCTAssertEqual(results[r].losses, results[0].losses)
        }
        for i in [0, 1, 500, 1000] {
            var expected: Float = 0
            for r in 0 ..< n { expected += counts[r] * (Float(i % 13) * 0.37 + Float(r)) }
            XCTAssertEqual(results[0].state.parameters[i], expected, accuracy: 1e-5)
        }
        XCTAssertEqual(results[0].losses[0], counts[0] * 1 + counts[1] * 2 + counts[2] * 3, accuracy: 1e-6)
    }

    /// N ranks with batch B train as one process with batch B, to float summation order, and
    /// every rank holds the same weights after every step; a repeat gives the same bits.
    func testRanksTrainAsOneProcessWithTheWholeBatch() {
        let batch = 6
        let single = Self.makeTrainer(batch: batch)
        let losses = (0 ..< steps).map { _ in single.step().loss }
        for n in [2, 3, 4] { // 4 ranks share 6 streams unevenly (1, 2, 1, 2)
            let ranks = train(ranks: n, batch: batch)
            for r in 1 ..< n {
                XCTAssertEqual(ranks[r].state, ranks[0].state, "rank \(r) of \(n) holds other weights or Adam state")
                XCTAssertEqual(ranks[r].losses, ranks[0].losses)
            }
            for (k, (a, b)) in zip(losses, ranks[0].losses).enumerated() {
                XCTAssertEqual(a, b, accuracy: 1e-5 * a, "\(n) ranks, step \(k + 1)")
            }
            // Measured: 1.2e-7 (one ulp of these weights) after 12 steps, for 2, 3 and 4 ranks.
            let drift = zip(single.model.parameters, ranks[0].state.parameters).map { abs($0 - $1) }.max()!
            XCTAssertLessThan(drift, 1e-5, "\(n) ranks: weights after \(steps) steps")
            let again = train(ranks: n, batch: batch)
            XCTAssertEqual(again[0].losses, ranks[0].losses, "\(n) ranks: a repeat differs")
            XCTAssertEqual(again[0].state, ranks[0].state, "\(n) ranks: a repeat differs")
        }
    }

    /// A non-finite loss on one rank is skipped on every rank (no rank waits forever, none applies it).
    func testANonFiniteLossOnOneRankIsSkippedEverywhere() {
        let results = Results()
        ThreadGroup(size: 2).run { rank in
            let trainer = Self.makeTrainer(batch: 4, reducer: DataParallelReducer(communicator: rank))
            if rank.rank == 1 {
                var bad = trainer.model.parameters
                bad[bad.count - 1] = .nan // fc.bias: every loss of rank 1 is NaN
                trainer.restore(parameters: bad, state: trainer.state)
            }
            let stats = trainer.step()
            results.set(rank.rank, [stats.applied ? 1 : 0, stats.loss], Snapshot(trainer))
        }
        XCTAssertEqual(results[0].losses[0], 0, "rank 0 applied a step rank 1 could not compute")
        XCTAssertEqual(results[1].losses[0], 0)
        XCTAssertTrue(results[0].losses[1].isNaN)
        XCTAssertEqual(results[0].state.adam.step, 0)
    }

    func testAllEqualSeesADifferentRank() {
        let results = Results()
        ThreadGroup(size: 3).run { rank in
            let same = rank.allEqual(42)
            let differs = rank.allEqual(rank.rank == 2 ? 43 : 42)
            results.set(rank.rank, [same ? 1 : 0, differs ? 1 : 0], Snapshot(parameters: []))
        }
        for r in 0 ..< 3 { XCTAssertEqual(results[r].losses, [1, 0]) }
    }
}
