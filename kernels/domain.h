/* domain: the value bounds under which each kernel is proven free of NaN,
 * infinity and overflow. The EVA harnesses (verify/eva/) draw their inputs from
 * exactly these intervals, and the trainer checks every kernel call's inputs
 * against them at run time (model/domain_watch.h). A bound B on an array means
 * |x| ≤ B for every element. The fixed-scale LayerNorm's own domain (x, γ, β,
 * σ, C) is in kernels/layernorm.h (LN_FIXED_*); the real LayerNorm is analysed
 * over the same x, γ, β.
 *
 * Shapes are not here: which (C, T, N, V, …) each harness covers is
 * verify/coverage.tsv, reported in verify/PROOFS.md's Coverage table. */
#ifndef LNFREE_KERNELS_DOMAIN_H
#define LNFREE_KERNELS_DOMAIN_H

/* activations entering a forward kernel: matmul inp, GELU inp, the logits */
#define DOMAIN_MAX_ABS_ACT 1e4f
/* matmul weight and bias */
#define DOMAIN_MAX_ABS_WEIGHT 1e3f
/* attention q, k, v (GPT-2 small's stay within a few tens) */
#define DOMAIN_MAX_ABS_QKV 1e4f
/* embedding tables wte, wpe: one addition per output */
#define DOMAIN_MAX_ABS_EMBED 1e37f
/* the residual additions' operands: one addition per output */
#define DOMAIN_MAX_ABS_RESIDUAL 1e38f
/* the upstream gradient entering a backward kernel (dout, dy) */
#define DOMAIN_MAX_ABS_GRAD 1e4f
/* a backward kernel's accumulators (+=) on entry: dinp, dweight, dbias, dq, … */
#define DOMAIN_MAX_ABS_ACC 1e30f
/* crossentropy_backward's dloss lies in [0, DOMAIN_MAX_DLOSS] */
#define DOMAIN_MAX_DLOSS 1.0f

/* AdamW: |param|, |grad|, |m| ≤ ADAM_MAX_ABS, 0 ≤ v ≤ ADAM_MAX_V on entry to
 * adamw_update; the gradients summed by adamw_sum_of_squares within
 * ADAM_MAX_ABS; adamw_scale_in_place's x within DOMAIN_MAX_ABS_ACC. */
#define DOMAIN_ADAM_MAX_ABS 1e4f
#define DOMAIN_ADAM_MAX_V 1e8f
/* AdamW's settings: lr ∈ [0, MAX_LR], β ∈ [0, MAX_BETA], ε ∈ [MIN_EPS,
 * MAX_EPS], weight decay ∈ [0, MAX_WD], step ∈ [1, MAX_STEP], and the clip's
 * max_norm ∈ [MIN_CLIP, MAX_CLIP] with a gradient norm in [0, MAX_NORM]. */
#define DOMAIN_ADAM_MAX_LR 1e-2f
#define DOMAIN_ADAM_MAX_BETA 0.999f
#define DOMAIN_ADAM_MIN_EPS 1e-8f
#define DOMAIN_ADAM_MAX_EPS 1e-6f
#define DOMAIN_ADAM_MAX_WD 0.1f
#define DOMAIN_ADAM_MAX_STEP 10000000
#define DOMAIN_CLIP_MIN 1e-3f
#define DOMAIN_CLIP_MAX 1e3f
#define DOMAIN_CLIP_MAX_NORM 1e30

/* the real LayerNorm's ε */
#define DOMAIN_LN_MIN_EPS 1e-6f
#define DOMAIN_LN_MAX_EPS 1e-4f

#endif
