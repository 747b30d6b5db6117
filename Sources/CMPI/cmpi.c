// The run-time binding of Open MPI: dlopen, dlsym, and one call per MPI function tunegen uses.
#include "cmpi.h"
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

// Open MPI's handle types are pointers to opaque structs (mpi.h: typedef struct ompi_communicator_t *MPI_Comm).
typedef void *Handle;

static int (*p_init_thread)(int *, char ***, int, int *);
static int (*p_comm_rank)(Handle, int *);
static int (*p_comm_size)(Handle, int *);
static int (*p_alltoall)(const void *, int, Handle, void *, int, Handle, Handle);
static int (*p_allgather)(const void *, int, Handle, void *, int, Handle, Handle);
static int (*p_allreduce)(const void *, void *, int, Handle, Handle, Handle);
static int (*p_finalize)(void);
static int (*p_abort)(Handle, int);
static int (*p_error_string)(int, char *, int *);
// MPI_COMM_WORLD, MPI_FLOAT, MPI_LONG_LONG_INT (int64 on LP64), MPI_MAX, MPI_MIN.
static Handle h_comm_world, h_float, h_int64, h_op_max, h_op_min;

enum { CMPI_THREAD_FUNNELED = 1 };  // mpi.h's enum: SINGLE 0, FUNNELED 1, SERIALIZED 2, MULTIPLE 3

int cmpi_load(char *message, int messageSize) {
    // RTLD_GLOBAL: Open MPI's own plugins (mca_*.so) resolve libmpi's symbols through the global scope.
    const char *names[] = {"libmpi.so.40", "libmpi.so"};
    void *lib = NULL;
    for (int i = 0; i < 2 && lib == NULL; i++) lib = dlopen(names[i], RTLD_NOW | RTLD_GLOBAL);
    if (lib == NULL) {
        const char *why = dlerror();
        snprintf(message, messageSize, "cannot load Open MPI (libmpi.so.40): %s", why ? why : "not found");
        return -1;
    }
#define RESOLVE(var, name) \
    if ((*(void **)&var = dlsym(lib, name)) == NULL) { \
        snprintf(message, messageSize, "libmpi has no symbol '%s' (tunegen needs Open MPI's ABI, libmpi.so.40)", name); \
        return -1; \
    }
    RESOLVE(p_init_thread, "MPI_Init_thread")
    RESOLVE(p_comm_rank, "MPI_Comm_rank")
    RESOLVE(p_comm_size, "MPI_Comm_size")
    RESOLVE(p_alltoall, "MPI_Alltoall")
    RESOLVE(p_allgather, "MPI_Allgather")
    RESOLVE(p_allreduce, "MPI_Allreduce")
    RESOLVE(p_finalize, "MPI_Finalize")
    RESOLVE(p_abort, "MPI_Abort")
    RESOLVE(p_error_string, "MPI_Error_string")
    // The handles are the addresses of these objects (mpi.h: OMPI_PREDEFINED_GLOBAL).
    RESOLVE(h_comm_world, "ompi_mpi_comm_world")
    RESOLVE(h_float, "ompi_mpi_float")
    RESOLVE(h_int64, "ompi_mpi_long_long_int")
    RESOLVE(h_op_max, "ompi_mpi_op_max")
    RESOLVE(h_op_min, "ompi_mpi_op_min")
#undef RESOLVE
    return 0;
}

int cmpi_init(int *rank, int *size) {
    int provided = 0;
    int rc = p_init_thread(NULL, NULL, CMPI_THREAD_FUNNELED, &provided);
    if (rc != 0) return rc;
    rc = p_comm_rank(h_comm_world, rank);
    if (rc != 0) return rc;
    return p_comm_size(h_comm_world, size);
}

int cmpi_alltoall_float(const float *send, float *receive, int count) {
    return p_alltoall(send, count, h_float, receive, count, h_float, h_comm_world);
}

int cmpi_allgather_float(const float *send, float *receive, int count) {
    return p_allgather(send, count, h_float, receive, count, h_float, h_comm_world);
}

int cmpi_allreduce_int64(const int64_t *send, int64_t *receive, int count, int maximum) {
    return p_allreduce(send, receive, count, h_int64, maximum ? h_op_max : h_op_min, h_comm_world);
}

int cmpi_finalize(void) { return p_finalize(); }

int cmpi_abort(int status) { return p_abort(h_comm_world, status); }

void cmpi_error_string(int code, char *buffer, int size) {
    int length = 0;
    if (p_error_string == NULL || p_error_string(code, buffer, &length) != 0) snprintf(buffer, size, "MPI error %d", code);
}
