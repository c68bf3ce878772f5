/* grad_reduce: the step's gradient from its micro-batches, the one place the
 * gradients of the micro-batches are combined, exactly and in no particular
 * order, so that a step gives the same bits whatever the number of ranks
 * that computed its micro-batches (train/dist.h).
 *
 * Each micro-batch's float gradient is converted to int64 fixed point, with
 * one exponent E_t per parameter tensor (every |g| < 2^E_t) and P fraction
 * bits below it, P = 62 − ⌈log2 G⌉ for G micro-batches, so that the sum of G
 * values cannot overflow; the integers are summed locally and then over ranks
 * (MPI_SUM on integers is exact, hence associative); the sum is rounded to
 * float once. E_t comes from the largest exponent any micro-batch of the
 * previous step produced, plus 6 bits of headroom, agreed by MPI_MAX; a
 * micro-batch that exceeds it makes every rank redo the step with the larger
 * exponent (at the first step, always).
 *
 * Precision: every micro-batch gradient element is rounded to a multiple of
 * 2^(E_t − P), i.e. within 2^−(P−6+1) ≈ 2^−49 (G = 128) of the largest
 * element of that tensor in any micro-batch of the previous step; the
 * result is the exact sum of those, rounded once to float32. A step of one
 * micro-batch (G = 1) is not converted at all.
 *
 * Memory: a rank with several micro-batches per step keeps an int64
 * accumulator of every parameter (8 bytes each). A rank with one (G = N)
 * needs none: its float gradient is converted, summed over ranks and
 * converted back in pieces of GRAD_REDUCE_PIECE values, in place, and an
 * overflow only means converting again with the larger exponents (the same
 * exponents a redo would use: the same bits). */
#ifndef LNFREE_TRAIN_GRAD_REDUCE_H
#define LNFREE_TRAIN_GRAD_REDUCE_H

#include <stdint.h>
#include "model/gpt2.h"
#include "train/dist.h"

#define GRAD_REDUCE_HEADROOM 6
#define GRAD_REDUCE_PIECE ((size_t)1 << 22)

typedef struct {
    int n_tensors;
    int precision;   /* P */
    int direct;      /* one micro-batch per rank: no accumulator */
    int *exponent;   /* [n_tensors] E_t; GRAD_EXP_NONE while only zeros were seen */
    int *seen;       /* [n_tensors + 1]: largest exponent this step, then the overflow flag */
    int64_t *acc;    /* [n_params], or [GRAD_REDUCE_PIECE] when direct */
    size_t n_params;
} grad_reducer;

#define GRAD_EXP_NONE (-100000)

/* micro_batches: G, the step's total; local: how many of them this rank
 * computes (G/N). */
int grad_reduce_init(grad_reducer *r, const gpt2 *m, int micro_batches, int local,
                     lnf_error *err);
void grad_reduce_free(grad_reducer *r);

/* Before the step's first micro-batch (and before a redo). */
void grad_reduce_begin(grad_reducer *r);

/* Adds the model's gradient (one micro-batch's) into the accumulator. */
void grad_reduce_add(grad_reducer *r, const gpt2 *m);

/* After this rank's micro-batches: agrees with every rank whether the step
 * must be redone (*redo: the exponents were raised); if not, sums over ranks
 * and writes the step's gradient into the model's. */
int grad_reduce_finish(grad_reducer *r, const dist_ctx *d, gpt2 *m, int *redo, lnf_error *err);

#endif
