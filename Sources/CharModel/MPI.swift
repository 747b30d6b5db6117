// MPI: the one Swift file that imports CMPI. `MPIWorld.launched()` loads Open MPI only when this
// process was started by an MPI launcher (mpirun sets OMPI_COMM_WORLD_SIZE, PMIx launchers
// PMIX_RANK), so tunegen without mpirun never touches libmpi and needs none installed.
// MPI errors keep MPI's default handler (MPI_ERRORS_ARE_FATAL): Open MPI prints the cause and
// ends the whole job, the last resort when a peer has died; the calls here return only on success.
import CMPI
import Foundation

/// Why MPI could not be started.
public struct MPIError: Error, CustomStringConvertible {
    public var description: String
}

/// MPI_COMM_WORLD of a process started by mpirun.
public final class MPIWorld: Communicator {
    public let rank: Int
    public let size: Int
    private var finalized = false

    /// True when an MPI launcher started this process (its environment says so).
    public static var isLaunched: Bool {
        let env = ProcessInfo.processInfo.environment
        return env["OMPI_COMM_WORLD_SIZE"] != nil || env["PMIX_RANK"] != nil
    }

    /// MPI_COMM_WORLD when an MPI launcher started this process, nil otherwise (libmpi is then
    /// never loaded). Call once per process. Throws when started under a launcher but Open MPI
    /// cannot be loaded or initialised, or when the launcher is MPICH's (a different ABI).
    public static func launched() throws -> MPIWorld? {
        let env = ProcessInfo.processInfo.environment
        guard isLaunched else {
            if env["PMI_RANK"] != nil || env["PMI_SIZE"] != nil {
                throw MPIError(description: "started by an MPI launcher other than Open MPI's (PMI_RANK is set); tunegen speaks Open MPI's ABI: run it with Open MPI's mpirun")
            }
            return nil
        }
        var message = [CChar](repeating: 0, count: 512)
        if cmpi_load(&message, Int32(message.count)) != 0 {
            throw MPIError(description: text(message) + " (install Open MPI: apt-get install openmpi-bin)")
        }
        // A rank waiting in a collective yields its core instead of spinning on it (unless the user
        // set it): the ranks' own compute threads, other ranks on the node and other jobs need it.
        // Measured on this 2-core machine under load: 0.25 ms per exchange of the tiny model's
        // gradients instead of 52 ms.
        setenv("OMPI_MCA_mpi_yield_when_idle", "1", 0)
        var rank: Int32 = 0, size: Int32 = 0
        let rc = cmpi_init(&rank, &size)
        guard rc == 0 else { throw MPIError(description: "MPI_Init_thread failed: \(errorString(rc))") }
        return MPIWorld(rank: Int(rank), size: Int(size))
    }

    private init(rank: Int, size: Int) { (self.rank, self.size) = (rank, size) }

    public func allToAll(_ send: UnsafeBufferPointer<Float>, _ receive: UnsafeMutableBufferPointer<Float>, count: Int) {
        precondition(send.count >= count * size && receive.count >= count * size && count <= Int(Int32.max))
        check(cmpi_alltoall_float(send.baseAddress, receive.baseAddress, Int32(count)), "MPI_Alltoall")
    }

    public func allGather(_ send: UnsafeBufferPointer<Float>, _ receive: UnsafeMutableBufferPointer<Float>, count: Int) {
        precondition(send.count >= count && receive.count >= count * size && count <= Int(Int32.max))
        check(cmpi_allgather_float(send.baseAddress, receive.baseAddress, Int32(count)), "MPI_Allgather")
    }

    public func reduce(_ values: [Int64], maximum: Bool) -> [Int64] {
        var out = [Int64](repeating: 0, count: values.count)
        check(cmpi_allreduce_int64(values, &out, Int32(values.count), maximum ? 1 : 0), "MPI_Allreduce")
        return out
    }

    /// MPI_Finalize: every rank calls it once, at the end of a run they all finished together.
    public func finalize() {
        guard !finalized else { return }
        finalized = true
        check(cmpi_finalize(), "MPI_Finalize")
    }

    /// MPI_Abort: ends every rank of the job with `status`. For a failure the other ranks cannot
    /// learn of through the collectives (they would otherwise wait in the next one).
    public func abort(status: Int32) -> Never {
        _ = cmpi_abort(status)
        exit(status)
    }

    /// With MPI_ERRORS_ARE_FATAL a failing call does not return; this guards against a handler
    /// someone set through MCA parameters.
    private func check(_ rc: Int32, _ call: String) {
        guard rc != 0 else { return }
        // write(2), not FileHandle.write (which traps when stderr is closed or a broken pipe): the
        // message is best effort, the abort is what matters.
        let message = Array("tunegen: rank \(rank): \(call) failed: \(Self.errorString(rc))\n".utf8)
        _ = message.withUnsafeBufferPointer { write(2, $0.baseAddress, $0.count) }
        abort(status: 1)
    }

    private static func errorString(_ code: Int32) -> String {
        var buffer = [CChar](repeating: 0, count: 1024)
        cmpi_error_string(code, &buffer, Int32(buffer.count))
        return text(buffer)
    }
}

/// A NUL-terminated C string in `buffer` as a String.
private func text(_ buffer: [CChar]) -> String {
    String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
