/* domain_watch: the trainer's run-time check that every kernel call's inputs
 * lie inside the domain the kernels are proven for (kernels/domain.h and the
 * fixed-scale LayerNorm's LN_FIXED_* in kernels/layernorm.h; verify/PROOFS.md).
 *
 * While a watch is attached to a model (gpt2.watch), gpt2_forward,
 * gpt2_backward and the optimizer step record, for each (kernel, input) of the
 * table below, the largest |x| of the values they pass, and the first value
 * that leaves its bound. The cost is one read of each kernel input: O(B·T·C)
 * against the matmuls' O(B·T·C²). The maxima are exact, so they do not depend
 * on the thread count, and their maximum over ranks not on the rank count. */
#ifndef LNFREE_MODEL_DOMAIN_WATCH_H
#define LNFREE_MODEL_DOMAIN_WATCH_H

#include <jansson.h>
#include <stddef.h>
#include "base/error.h"
#include "kernels/adamw.h"

typedef enum {
    DW_EMBED_WTE,
    DW_EMBED_WPE,
    DW_LN_INP,
    DW_LN_WEIGHT,
    DW_LN_BIAS,
    DW_MATMUL_INP,
    DW_MATMUL_WEIGHT,
    DW_MATMUL_BIAS,
    DW_ATT_Q,
    DW_ATT_K,
    DW_ATT_V,
    DW_RESIDUAL_OPERANDS,
    DW_GELU_INP,
    DW_CE_LOGITS,
    DW_CE_DLOSS,
    DW_MATMUL_DOUT,
    DW_MATMUL_ACC,
    DW_LN_DOUT,
    DW_LN_ACC,
    DW_GELU_DOUT,
    DW_GELU_ACC,
    DW_ATT_DOUT,
    DW_ATT_ACC,
    DW_EMBED_DOUT,
    DW_EMBED_ACC,
    DW_ADAM_NORM_GRAD,
    DW_ADAM_CLIP_GRAD,
    DW_ADAM_PARAM,
    DW_ADAM_GRAD,
    DW_ADAM_M,
    DW_ADAM_V,
    DW_INPUTS
} dw_input;

/* One (kernel, input) of the proven domain: |x| ≤ bound. */
typedef struct {
    const char *kernel; /* the C function, as verify/PROOFS.md names it */
    const char *input;  /* its parameter(s) */
    float bound;
} dw_spec;

/* The table, indexed by dw_input. */
extern const dw_spec dw_specs[DW_INPUTS];

typedef struct domain_watch {
    float seen[DW_INPUTS]; /* largest |x| since dw_reset; -1: not called; NaN sticks */
    int bad;               /* the first input seen outside its bound, or -1 */
    int bad_layer;         /* its layer, or -1 */
    float bad_value;
} domain_watch;

/* Nothing seen. */
void dw_reset(domain_watch *w);

/* Records the n values x[0..n) passed as `in` (layer: -1 outside the blocks);
 * returns their largest |x| (NaN if one is NaN). */
float dw_observe(domain_watch *w, dw_input in, int layer, const float *x, size_t n);
void dw_observe_value(domain_watch *w, dw_input in, int layer, float v);

/* 0, or fails naming the kernel, the input, its layer, the value and the bound
 * of the first value seen outside the domain. */
int dw_check(const domain_watch *w, lnf_error *err);

/* Fails, naming the setting and the interval, unless AdamW's settings, the
 * clip and the step count lie in the domain adamw.c is proven for, and eps (the
 * real LayerNorm's) in layernorm_forward's. */
int dw_check_settings(const adamw_settings *a, float clip, int steps, float ln_eps,
                      lnf_error *err);

/* Per kernel called, its input nearest to its bound (largest seen/bound):
 * {"kernel": {"input": …, "max": …, "bound": …}, …}. */
json_t *dw_margins_json(const domain_watch *w);

/* into += a dw_margins_json record: per kernel, the entry with the larger
 * max/bound. */
void dw_margins_fold(json_t *into, const json_t *margins);

#endif
