/* dist: the processes of a data-parallel run, over MPI (Debian's OpenMPI).
 *
 * Under `mpirun -np N` every process is one rank of N and runs the same
 * training loop on its share of each step's micro-batches. Started without
 * mpirun, a process is rank 0 of 1 and MPI is never initialised, so it runs
 * exactly as a build without MPI does. Every collective here is called by all
 * ranks in the same order; each returns 0, or -1 after lnf_fail. A failing
 * rank ends the whole job (dist_abort): MPI then stops every other rank. */
#ifndef LNFREE_TRAIN_DIST_H
#define LNFREE_TRAIN_DIST_H

#include <stddef.h>
#include <stdint.h>
#include "base/error.h"

typedef struct {
    int rank, size;
    int mpi; /* MPI initialised (launched by mpirun, in a build with MPI) */
} dist_ctx;

/* The single-process context: rank 0 of 1, no MPI. */
dist_ctx dist_single(void);

/* Initialises MPI when the process was launched by mpirun (and the build has
 * MPI); otherwise the single-process context. */
int dist_init(dist_ctx *d, int *argc, char ***argv, lnf_error *err);
void dist_finalize(dist_ctx *d);

/* Ends every rank of the job with exit code `code` (a single process exits). */
void dist_abort(const dist_ctx *d, int code) __attribute__((noreturn));

/* "mpi" or "none": what the build supports. */
const char *dist_backend(void);

/* In place over all ranks: sums (exact: integers), maxima. */
int dist_sum_i64(const dist_ctx *d, int64_t *buf, size_t n, lnf_error *err);
int dist_max_int(const dist_ctx *d, int *buf, size_t n, lnf_error *err);
int dist_max_floats(const dist_ctx *d, float *buf, size_t n, lnf_error *err);
/* Sums doubles in place. Exact only where at most one rank contributes a
 * nonzero value per element (x + 0 = x in any order): the slot arrays of
 * per-micro-batch statistics. */
int dist_sum_slots(const dist_ctx *d, double *buf, size_t n, lnf_error *err);

/* Every rank r contributes floats [offsets[r], offsets[r+1]) of buf (which
 * it holds); afterwards every rank holds all of buf. offsets: size + 1 entries. */
int dist_allgather_floats(const dist_ctx *d, float *buf, const size_t *offsets, lnf_error *err);

/* Rank `root` receives every rank's part [offsets[r], offsets[r+1]) of an
 * array into full (only read on root); part is this rank's. */
int dist_gather_floats(const dist_ctx *d, const float *part, float *full, const size_t *offsets,
                       int root, lnf_error *err);

/* Rank 0's value of *code goes to every rank (e.g. the outcome of a step only
 * rank 0 performs, such as writing a checkpoint). */
int dist_bcast_int(const dist_ctx *d, int *code, lnf_error *err);

/* Piece r of [0, n) cut into d->size near-equal pieces: [*lo, *hi). */
void dist_share(const dist_ctx *d, size_t n, int r, size_t *lo, size_t *hi);

#endif
