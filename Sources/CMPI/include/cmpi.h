// CMPI: Open MPI, loaded at run time. tunegen does not link libmpi: `cmpi_load` dlopens it only
// when the process was started by mpirun, so tunegen builds and runs without MPI installed.
// MPI's handles (MPI_COMM_WORLD, MPI_FLOAT, MPI_MAX, ...) are macros in Open MPI's mpi.h over the
// addresses of global objects (OMPI_PREDEFINED_GLOBAL); the shim looks those objects up by name.
// Open MPI's ABI only (libmpi.so.40: Open MPI 3.x to 5.x); MPICH's handles are integers.
#ifndef CMPI_H
#define CMPI_H
#include <stdint.h>

/// Loads libmpi and resolves every function and handle below. Returns 0, or -1 with a message.
int cmpi_load(char *message, int messageSize);
/// MPI_Init_thread (MPI_THREAD_FUNNELED: only the main thread calls MPI); rank and size in
/// MPI_COMM_WORLD. Returns an MPI error code (0 is success).
int cmpi_init(int *rank, int *size);
/// MPI_Alltoall of floats on MPI_COMM_WORLD: `count` floats to each rank.
int cmpi_alltoall_float(const float *send, float *receive, int count);
/// MPI_Allgather of floats on MPI_COMM_WORLD: `count` floats from each rank.
int cmpi_allgather_float(const float *send, float *receive, int count);
/// MPI_Allreduce of 64-bit integers with MPI_MAX (`maximum` 1) or MPI_MIN (0).
int cmpi_allreduce_int64(const int64_t *send, int64_t *receive, int count, int maximum);
/// MPI_Finalize.
int cmpi_finalize(void);
/// MPI_Abort(MPI_COMM_WORLD, status): ends every rank of the job.
int cmpi_abort(int status);
/// MPI_Error_string into `buffer`.
void cmpi_error_string(int code, char *buffer, int size);

#endif
