#define _POSIX_C_SOURCE 200809L
#include "train/dist.h"
#include <stdlib.h>
#include <string.h>
#ifdef LNFREE_HAVE_MPI
#include <mpi.h>
#endif

/* MPI counts are int: large arrays go in pieces of at most this many elements. */
#define DIST_PIECE ((size_t)1 << 28)

dist_ctx dist_single(void) { return (dist_ctx){.rank = 0, .size = 1, .mpi = 0}; }

void dist_share(const dist_ctx *d, size_t n, int r, size_t *lo, size_t *hi)
{
    size_t base = n / (size_t)d->size, extra = n % (size_t)d->size, k = (size_t)r;
    *lo = k * base + (k < extra ? k : extra);
    *hi = *lo + base + (k < extra ? 1 : 0);
}

#ifdef LNFREE_HAVE_MPI

const char *dist_backend(void) { return "mpi"; }

/* mpirun (OpenMPI's, or any PMIx/PMI launcher) tells its processes who they are. */
static int launched_by_mpirun(void)
{
    return getenv("OMPI_COMM_WORLD_SIZE") != NULL || getenv("PMIX_RANK") != NULL ||
           getenv("PMI_RANK") != NULL;
}

static int mpi_fail(lnf_error *err, const char *what, int code)
{
    char text[MPI_MAX_ERROR_STRING];
    int len = 0;
    MPI_Error_string(code, text, &len);
    return lnf_fail(err, "MPI %s failed: %.*s", what, len, text);
}

int dist_init(dist_ctx *d, int *argc, char ***argv, lnf_error *err)
{
    *d = dist_single();
    if (!launched_by_mpirun()) {
        return 0;
    }
    int code = MPI_Init(argc, argv);
    if (code != MPI_SUCCESS) {
        return lnf_fail(err, "MPI_Init failed (code %d)", code);
    }
    /* errors come back as codes, so that a rank can say what failed before it aborts */
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    d->mpi = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &d->rank);
    MPI_Comm_size(MPI_COMM_WORLD, &d->size);
    return 0;
}

void dist_finalize(dist_ctx *d)
{
    if (d->mpi) {
        MPI_Finalize();
        d->mpi = 0;
    }
}

void dist_abort(const dist_ctx *d, int code)
{
    if (d->mpi) {
        MPI_Abort(MPI_COMM_WORLD, code);
    }
    exit(code);
}

int dist_sum_i64(const dist_ctx *d, int64_t *buf, size_t n, lnf_error *err)
{
    for (size_t i = 0; d->mpi && d->size > 1 && i < n; i += DIST_PIECE) {
        int count = (int)(n - i < DIST_PIECE ? n - i : DIST_PIECE);
        int code = MPI_Allreduce(MPI_IN_PLACE, buf + i, count, MPI_INT64_T, MPI_SUM,
                                 MPI_COMM_WORLD);
        if (code != MPI_SUCCESS) {
            return mpi_fail(err, "sum of the gradients", code);
        }
    }
    return 0;
}

int dist_max_int(const dist_ctx *d, int *buf, size_t n, lnf_error *err)
{
    for (size_t i = 0; d->mpi && d->size > 1 && i < n; i += DIST_PIECE) {
        int count = (int)(n - i < DIST_PIECE ? n - i : DIST_PIECE);
        int code = MPI_Allreduce(MPI_IN_PLACE, buf + i, count, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
        if (code != MPI_SUCCESS) {
            return mpi_fail(err, "maximum", code);
        }
    }
    return 0;
}

int dist_max_floats(const dist_ctx *d, float *buf, size_t n, lnf_error *err)
{
    for (size_t i = 0; d->mpi && d->size > 1 && i < n; i += DIST_PIECE) {
        int count = (int)(n - i < DIST_PIECE ? n - i : DIST_PIECE);
        int code = MPI_Allreduce(MPI_IN_PLACE, buf + i, count, MPI_FLOAT, MPI_MAX, MPI_COMM_WORLD);
        if (code != MPI_SUCCESS) {
            return mpi_fail(err, "maximum", code);
        }
    }
    return 0;
}

int dist_sum_slots(const dist_ctx *d, double *buf, size_t n, lnf_error *err)
{
    for (size_t i = 0; d->mpi && d->size > 1 && i < n; i += DIST_PIECE) {
        int count = (int)(n - i < DIST_PIECE ? n - i : DIST_PIECE);
        int code = MPI_Allreduce(MPI_IN_PLACE, buf + i, count, MPI_DOUBLE, MPI_SUM,
                                 MPI_COMM_WORLD);
        if (code != MPI_SUCCESS) {
            return mpi_fail(err, "sum of the step's statistics", code);
        }
    }
    return 0;
}

/* counts and displacements (in elements) of each rank's part, for the v-collectives */
static int part_layout(const dist_ctx *d, const size_t *offsets, int *counts, int *displs,
                       lnf_error *err)
{
    for (int r = 0; r < d->size; r++) {
        if (offsets[r + 1] - offsets[r] > (size_t)0x7fffffff || offsets[r] > (size_t)0x7fffffff) {
            return lnf_fail(err, "MPI: a part of %zu floats is too large for one message",
                            offsets[r + 1] - offsets[r]);
        }
        counts[r] = (int)(offsets[r + 1] - offsets[r]);
        displs[r] = (int)offsets[r];
    }
    return 0;
}

int dist_allgather_floats(const dist_ctx *d, float *buf, const size_t *offsets, lnf_error *err)
{
    if (!d->mpi || d->size == 1) {
        return 0;
    }
    int *counts = malloc((size_t)d->size * sizeof *counts);
    int *displs = malloc((size_t)d->size * sizeof *displs);
    int rc = counts && displs ? part_layout(d, offsets, counts, displs, err)
                              : lnf_fail(err, "out of memory for the all-gather");
    if (rc == 0) {
        int code = MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, buf, counts, displs,
                                  MPI_FLOAT, MPI_COMM_WORLD);
        rc = code == MPI_SUCCESS ? 0 : mpi_fail(err, "all-gather of the parameters", code);
    }
    free(counts);
    free(displs);
    return rc;
}

int dist_gather_floats(const dist_ctx *d, const float *part, float *full, const size_t *offsets,
                       int root, lnf_error *err)
{
    if (!d->mpi || d->size == 1) {
        memcpy(full, part, (offsets[1] - offsets[0]) * sizeof(float));
        return 0;
    }
    int *counts = malloc((size_t)d->size * sizeof *counts);
    int *displs = malloc((size_t)d->size * sizeof *displs);
    int rc = counts && displs ? part_layout(d, offsets, counts, displs, err)
                              : lnf_fail(err, "out of memory for the gather");
    if (rc == 0) {
        int code = MPI_Gatherv(part, counts[d->rank], MPI_FLOAT, full, counts, displs, MPI_FLOAT,
                               root, MPI_COMM_WORLD);
        rc = code == MPI_SUCCESS ? 0 : mpi_fail(err, "gather of the optimizer state", code);
    }
    free(counts);
    free(displs);
    return rc;
}

int dist_bcast_int(const dist_ctx *d, int *code, lnf_error *err)
{
    if (!d->mpi || d->size == 1) {
        return 0;
    }
    int rc = MPI_Bcast(code, 1, MPI_INT, 0, MPI_COMM_WORLD);
    return rc == MPI_SUCCESS ? 0 : mpi_fail(err, "broadcast", rc);
}

#else /* a build without MPI: always one process */

const char *dist_backend(void) { return "none"; }

int dist_init(dist_ctx *d, int *argc, char ***argv, lnf_error *err)
{
    (void)argc;
    (void)argv;
    (void)err;
    *d = dist_single();
    return 0;
}

void dist_finalize(dist_ctx *d) { (void)d; }

void dist_abort(const dist_ctx *d, int code)
{
    (void)d;
    exit(code);
}

int dist_sum_i64(const dist_ctx *d, int64_t *buf, size_t n, lnf_error *err)
{
    (void)d, (void)buf, (void)n, (void)err;
    return 0;
}

int dist_max_int(const dist_ctx *d, int *buf, size_t n, lnf_error *err)
{
    (void)d, (void)buf, (void)n, (void)err;
    return 0;
}

int dist_max_floats(const dist_ctx *d, float *buf, size_t n, lnf_error *err)
{
    (void)d, (void)buf, (void)n, (void)err;
    return 0;
}

int dist_sum_slots(const dist_ctx *d, double *buf, size_t n, lnf_error *err)
{
    (void)d, (void)buf, (void)n, (void)err;
    return 0;
}

int dist_allgather_floats(const dist_ctx *d, float *buf, const size_t *offsets, lnf_error *err)
{
    (void)d, (void)buf, (void)offsets, (void)err;
    return 0;
}

int dist_gather_floats(const dist_ctx *d, const float *part, float *full, const size_t *offsets,
                       int root, lnf_error *err)
{
    (void)d, (void)root, (void)err;
    memcpy(full, part, (offsets[1] - offsets[0]) * sizeof(float));
    return 0;
}

int dist_bcast_int(const dist_ctx *d, int *code, lnf_error *err)
{
    (void)d, (void)code, (void)err;
    return 0;
}

#endif
