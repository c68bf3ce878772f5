/* gpt2: GPT-2 parameters, activations, forward and backward, with each
 * LayerNorm site real or frozen (see ln_state.h); the optimizer step is
 * model/optim.h.
 *
 * All parameters live in one allocation, as do their gradients and the AdamW
 * moments; named views point into it. In memory, HF's c_attn [C,3C] is split
 * into separate q, k and v projections [C,C] so that q,k can read ln1qk's
 * output and v ln1v's (no extra FLOPs); checkpoints keep HF's layout. */
#ifndef LNFREE_MODEL_GPT2_H
#define LNFREE_MODEL_GPT2_H

#include <stddef.h>
#include <stdint.h>
#include "model/config.h"
#include "base/error.h"
#include "model/ln_state.h"

/* One in-memory parameter tensor and where it sits in the HF checkpoint.
 * Linear weights are [out, in] in memory (see kernels/matmul.h). The tensor is
 * rows row_offset .. row_offset+rows-1 of the out-major form F [hf_rows, cols]
 * of the HF tensor hf_name; on disk HF stores F itself, or Fᵀ for Conv1D
 * weights (transposed = 1). 1-D tensors are columns: cols = 1. */
typedef struct {
    char hf_name[64];
    int hf_ndim;
    int rows, cols, hf_rows, row_offset, transposed;
    size_t offset; /* into the parameter buffer, in floats */
} gpt2_tensor;

typedef struct {
    float *ln1w, *ln1b;                 /* [C] */
    float *qw, *kw, *vw;                /* [C,C] (out × in, like every weight) */
    float *qb, *kb, *vb;                /* [C] */
    float *attprojw, *attprojb;         /* [C,C], [C] */
    float *ln2w, *ln2b;                 /* [C] */
    float *fcw, *fcb;                   /* [4C,C], [4C] */
    float *fcprojw, *fcprojb;           /* [C,4C], [C] */
} gpt2_layer_view;

typedef struct {
    float *wte;                         /* [V,C], also the unembedding unless folded */
    float *wpe;                         /* [maxT,C] */
    gpt2_layer_view *layer;             /* [L] */
    float *lnfw, *lnfb;                 /* [C] */
    float *lm_head_w, *lm_head_b;       /* [V,C], [V]: folded models only */
} gpt2_view;

/* Per-layer activations for one (B,T). */
typedef struct {
    float *ln1qk, *ln1qk_mean, *ln1qk_rstd; /* [BT,C], [BT], [BT] */
    float *ln1v, *ln1v_mean, *ln1v_rstd;    /* used when ln1v differs from ln1qk */
    float *q, *k, *v;                       /* [BT,C] */
    float *att;                             /* [B,NH,T,T] */
    float *atty;                            /* [BT,C] attention output before c_proj */
    float *res2;                            /* [BT,C] residual after attention */
    float *ln2, *ln2_mean, *ln2_rstd;
    float *fch, *fch_gelu;                  /* [BT,4C] */
    float *res3;                            /* [BT,C] residual after the MLP */
} gpt2_layer_acts;

typedef struct {
    gpt2_config cfg;
    ln_state ln;

    int n_tensors;
    gpt2_tensor *tensors;
    size_t n_params;
    float *params, *grads;              /* [n_params] each */
    float *adam_m, *adam_v;             /* [adam_n], allocated at the first AdamW step */
    size_t adam_lo, adam_n;             /* the moments cover params [adam_lo, adam_lo + adam_n) */
    int adam_step;
    gpt2_view p, g;                     /* views into params and grads */

    /* activations, sized for B×T by the last gpt2_forward */
    int B, T;
    float *act_mem;
    float *encoded;                     /* [BT,C] */
    gpt2_layer_acts *acts;              /* [L] */
    float *lnf, *lnf_mean, *lnf_rstd;
    float *logits;                      /* [BT,V] */
    float *losses, *lse;                /* [BT] */
    int *inputs, *targets;              /* [BT] */
    uint8_t *scale_class;               /* [SITE_KINDS][BT] */
    /* backward scratch, reused by every layer */
    float *dlogits;                     /* [BT,V] */
    float *dres, *dc, *dq, *dk, *dv, *dln1v; /* [BT,C] */
    float *dfch, *dfch_gelu;            /* [BT,4C] */
    float *proj;                        /* [BT,C] forward scratch: c_proj outputs */
    float *datt_row;                    /* [B·NH·ATT_BLOCK·T]: a block of attention rows per (entry, head) */
    float *ln_partial;                  /* [PAR_MAX_PIECES·2·C]: LN γ, β gradient partials */
    float mean_loss;                    /* of the last forward with targets */
    /* Baroni et al.'s auxiliary loss: aux_weight × mean over ordinary tokens
     * (not position 0, not EOT) of (σ_t − mean σ)² at lnf's input, the mean
     * detached; applied while lnf is real. 0 = off. */
    float aux_weight;
    float aux_loss;                     /* of the last forward */
    /* while non-NULL, forward, backward and the optimizer step record every
     * kernel input's largest |x| against the proven domain (domain_watch.h) */
    struct domain_watch *watch;
} gpt2;

/* Allocates parameters for cfg (contents zero); ln state all real. A folded
 * config (cfg->folded) has no LayerNorm tensors (their views are NULL and every
 * site is the identity) and an untied lm_head with bias. */
int gpt2_create(gpt2 *m, const gpt2_config *cfg, lnf_error *err);

/* The number of parameters gpt2_create would allocate for cfg. */
size_t gpt2_param_count(const gpt2_config *cfg);

/* The bytes of activations and backward scratch a forward and backward at
 * B×T allocate (the layout of gpt2.c, and the token and class arrays). */
size_t gpt2_activation_bytes(const gpt2_config *cfg, int B, int T);
void gpt2_free(gpt2 *m);

/* HF initialisation: N(0, 0.02) weights and embeddings, residual output
 * projections N(0, 0.02/√(2L)), LN weights 1, all biases 0. */
void gpt2_init_random(gpt2 *m, uint64_t seed);

/* inputs, targets: [B,T] token ids; targets may be NULL (no loss). Fails on a
 * token id outside [0,V), T > n_positions, or a frozen site whose inputs leave
 * the domain where the fixed-scale LN is proven finite. */
int gpt2_forward(gpt2 *m, const int *inputs, const int *targets, int B, int T,
                 lnf_error *err);

/* 1/σ per token [B·T] measured at a real site by the last forward; NULL for a
 * frozen site. */
const float *gpt2_site_rstd(const gpt2 *m, int site);

void gpt2_zero_grad(gpt2 *m);

/* Accumulates (+=) into m->grads the gradient of loss_scale · Σ per-token
 * losses of the last forward (loss_scale = 1/(B·T) for the mean loss;
 * divide further by the number of micro-batches when accumulating), plus
 * loss_scale·B·T times the auxiliary loss's gradient when it is on. */
void gpt2_backward(gpt2 *m, float loss_scale);

#endif
