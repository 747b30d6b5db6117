// TrainingGroup: a training run's place in an MPI job (`mpirun -np N tunegen train …`). Every
// rank builds the same model from the same seed and computes its share of each batch; CharModel's
// DataParallelReducer sums the gradients. Here: who speaks and writes (rank 0 only), stopping
// together (Ctrl-C on any rank stops every rank after the same step), the check that every rank
// holds the same weights, and the end of the job. Without mpirun there is no group and nothing
// here runs: libmpi is never loaded.
import CharModel
import Foundation
import Linalg

final class TrainingGroup {
    let world: MPIWorld
    /// Nil with one process: a run of one rank is a plain run (no gradient exchange).
    let reducer: DataParallelReducer?
    var rank: Int { world.rank }
    var size: Int { world.size }
    var isRoot: Bool { world.rank == 0 }

    /// The group when mpirun started this process, nil otherwise.
    static func start() throws -> TrainingGroup? {
        do {
            guard let world = try MPIWorld.launched() else { return nil }
            return TrainingGroup(world: world)
        } catch let error as MPIError {
            throw TunegenError("data-parallel training: \(error.description)")
        }
    }

    private init(world: MPIWorld) {
        self.world = world
        reducer = world.size > 1 ? DataParallelReducer(communicator: world) : nil
    }

    /// Ranks on this machine (Open MPI's OMPI_COMM_WORLD_LOCAL_SIZE; 1 if unknown).
    var localRanks: Int {
        Int(ProcessInfo.processInfo.environment["OMPI_COMM_WORLD_LOCAL_SIZE"] ?? "") ?? 1
    }

    /// Ranks sharing a machine share its cores: each gets processors / local ranks threads (at
    /// least 1) for OpenBLAS and the per-step kernels, unless OPENBLAS_NUM_THREADS says otherwise.
    /// Returns the threads per rank.
    @discardableResult
    func shareCores(with model: inout CharLSTM) -> Int {
        let threads = max(1, ProcessInfo.processInfo.activeProcessorCount / max(1, localRanks))
        if ProcessInfo.processInfo.environment["OPENBLAS_NUM_THREADS"] == nil, threads < BLAS.threads { BLAS.setThreads(threads) }
        model.recurrentThreads = min(2, threads)
        return threads
    }

    /// True on every rank when any rank was asked to stop (Ctrl-C, SIGTERM). Once per step.
    func anyStopRequested(_ local: Bool) -> Bool { world.any(local) }

    /// Checks that every rank holds the same weights (a checksum of their bits compared with
    /// MPI_Allreduce MIN and MAX). A rank that drifted is a bug or a faulty node: an error on every rank.
    func checkSameWeights(_ parameters: [Float], iteration: Int) throws {
        let checksum = weightChecksum(parameters)
        guard world.allEqual(checksum) else {
            throw GroupFailure(TunegenError("data-parallel training: the \(size) processes hold different weights at iteration \(iteration) "
                                            + "(rank \(rank): checksum \(String(checksum, radix: 16))); stopping. The last good checkpoint is kept; "
                                            + "resume from it (a faulty node, or mixed builds of tunegen across nodes)", exitStatus: 1))
        }
        if ProcessInfo.processInfo.environment["TUNEGEN_REPORT_WEIGHTS"] != nil {
            // For tests and debugging: each rank names the weights it holds.
            Output.stderrIfPossible("rank \(rank) of \(size): iteration \(iteration) weights \(String(checksum, radix: 16))\n")
        }
    }

    /// The end of a run every rank reached together: MPI_Finalize.
    func finish() { world.finalize() }

    /// A failure every rank reached at the same step (a collective decision): all finalize;
    /// rank 0 reports it, the others leave quietly with the same status.
    func failTogether(_ failure: GroupFailure) -> TunegenError {
        world.finalize()
        if !isRoot { exit(failure.error.exitStatus) }
        return failure.error
    }
}

/// An error every rank of a group raises at the same step, so they can end the job together.
/// A failure on one rank only (rank 0 cannot write a checkpoint) is a plain TunegenError: that
/// rank exits without MPI_Finalize and mpirun ends the others (the checkpoints already written
/// are whole: every file is renamed into place).
struct GroupFailure: Error {
    let error: TunegenError
    init(_ error: TunegenError) { self.error = error }
}
