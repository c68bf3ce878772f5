/* attribute: direct logit attribution. The logit of one target token at one
 * position, split into what each component wrote to the residual stream there,
 * carried through the final LayerNorm and the unembedding:
 *
 *   embed, pos_embed                 wte[token], wpe[position]
 *   L{l}.H{h}                        head h's output through its slice of c_proj,
 *                                    without the value bias (Σ_j att_ij v_j − b_v)
 *   L{l}.attn_bias                   c_proj's bias + b_v through c_proj (an
 *                                    attention row sums to one)
 *
 * b_v is the value vectors' constant part: c_attn's v bias plus ln_1's β
 * through the v projection. A folded export moves that β into the bias, and
 * the decomposition does not depend on which form it reads.
 *   L{l}.mlp                         the MLP's output, bias included
 *   lnf_bias                         lnf's β through the unembedding (a folded
 *                                    model: lm_head's bias)
 *
 * in that order, layer by layer. The final map x ↦ ((x − mean x)/s)·γ·W_U[t]
 * + β·W_U[t] is linear once s is fixed, so the components sum to the logit.
 * The decomposition is the exact direct effect when s does not depend on the
 * residual: lnf frozen (the σ of the position's class), a folded model (no
 * lnf), or a real lnf whose ε dominates the variance (the hf export: the
 * relative change of s is var/(2ε) ≤ 5e-9, below float32 rounding). With a
 * real lnf it is TransformerLens's approximation: each component divided by
 * the scale cached from this forward, labelled approximate. */
#ifndef LNFREE_MODEL_ATTRIBUTE_H
#define LNFREE_MODEL_ATTRIBUTE_H

#include <jansson.h>
#include "model/gpt2.h"

typedef struct {
    char name[32];
    double value;
} attr_component;

typedef struct {
    int position, target, token;
    double logit;           /* the model's own logit, from its float32 forward */
    int n;                  /* components: 2 + L·(NH + 2) + 1 */
    attr_component *parts;
    int exact;              /* the parts are the direct effects, not an approximation */
    const char *final_scale; /* how lnf's scale was treated, for the reader */
    double scale;           /* s at the position (1 for a folded model) */
    double residual;        /* logit − Σ parts */
} attribution;

/* Runs the model on tokens[0..T−1] and attributes the logit of target at
 * position (0 ≤ position < T). Fails on a bad token, target or position. */
int attribute_logit(gpt2 *m, const int *tokens, int T, int position, int target,
                    attribution *a, lnf_error *err);
void attribution_free(attribution *a);

/* {"position", "target", "token", "logit", "components": [{name, value}],
 * "exact", "final_scale", "scale", "sum", "residual"}. */
json_t *attribution_json(const attribution *a);

#endif
