/* layernorm: real LayerNorm and its fixed-scale ("frozen σ") form, over rows
 * of C channels.
 *
 * Real: y = (x − mean x)·rstd ⊙ γ + β with rstd = 1/√(var x + eps), biased
 * variance; mean and rstd [N] are saved for backward.
 * Fixed-scale: y = (x − mean x)/s ⊙ γ + β where s = scales[scale_class[n]] is a
 * constant picked per row by the caller (LN_SCALE_AVG, LN_SCALE_BOS for
 * position 0, LN_SCALE_EOT for end-of-text tokens); mean [N] is saved. Its
 * backward is dx = (g − mean g)/s with g = dy ⊙ γ: no gradient flows to s.
 * Backward accumulates (+=) into dinp, dweight, dbias. */
#ifndef LNFREE_KERNELS_LAYERNORM_H
#define LNFREE_KERNELS_LAYERNORM_H

#include <stdint.h>
#include "kernels/domain.h"
#include "kernels/dot_spec.h"
#include "kernels/spec.h"

enum { LN_SCALE_AVG = 0, LN_SCALE_BOS = 1, LN_SCALE_EOT = 2, LN_SCALE_CLASSES = 3 };

/* The domain on which the fixed-scale form is proven free of NaN, infinity
 * and overflow (verify/: EVA). GPT-2 residual activations stay below ~3e3 even
 * in the BOS-token outlier channels; σ of GPT-2 small's LN inputs ranges from
 * ~0.05 (early ln1) to a few hundred (BOS); trained γ, β stay well below 1e2. */
#define LN_FIXED_MAX_ABS_X 1e4f
#define LN_FIXED_MIN_SCALE 1e-3f
#define LN_FIXED_MAX_SCALE 1e4f
#define LN_FIXED_MAX_ABS_PARAM 1e3f
#define LN_FIXED_MAX_C 4096
/* Backward only (EVA): |dy| ≤ LN_FIXED_MAX_ABS_DY, and the accumulators dinp,
 * dweight, dbias within ±LN_FIXED_MAX_ABS_ACC on entry: every backward
 * kernel's bounds (kernels/domain.h), checked at run time by the trainer
 * (model/domain_watch.h). */
#define LN_FIXED_MAX_ABS_DY DOMAIN_MAX_ABS_GRAD
#define LN_FIXED_MAX_ABS_ACC DOMAIN_MAX_ABS_ACC

enum {
    LN_DOMAIN_OK = 0,
    LN_DOMAIN_BAD_SCALE,  /* a scale not finite or outside [MIN_SCALE, MAX_SCALE] */
    LN_DOMAIN_BAD_INPUT,  /* an input not finite or |x| > MAX_ABS_X */
    LN_DOMAIN_BAD_WEIGHT, /* a γ not finite or |γ| > MAX_ABS_PARAM */
    LN_DOMAIN_BAD_BIAS,   /* a β not finite or |β| > MAX_ABS_PARAM */
    LN_DOMAIN_BAD_WIDTH   /* C > MAX_C */
};

/*@ predicate layernorm_params(float *weight, float *bias, integer C) =
  @   lnf_readable(weight, C) && lnf_readable(bias, C);
  @
  @ // the three fixed scales and a valid class for each of the N rows
  @ predicate layernorm_scales(float *scales, uint8_t *scale_class, integer N) =
  @   lnf_readable(scales, LN_SCALE_CLASSES) && \valid_read(scale_class + (0 .. N-1)) &&
  @   (\forall integer n; 0 <= n < N ==> scale_class[n] < LN_SCALE_CLASSES) &&
  @   (\forall integer j; 0 <= j < LN_SCALE_CLASSES ==> scales[j] > 0);
  @
  @ // the mean of row n of inp [N, C] in state P: Σ_i inp[n·C + i] / C
  @ logic real layernorm_mean_at{P}(float *inp, integer C, integer n) =
  @   lnf_sum(inp, n * C, 1, C) / C;
  @
  @ // Σ_i (a[a0 + i] − m)² over the reals: a row's squared deviations from m.
  @ // Two axiomatics, as lnf_dot (kernels/dot_spec.h): the contracts name
  @ // layernorm_sqdev, the loop that sums it layernorm_sqdev_terms.
  @ axiomatic LayernormSqdev {
  @   logic real layernorm_sqdev{L}(float *a, integer a0, real m, integer n) reads a[..];
  @   // ASSUMED (verify/PROOFS.md), as lnf_dot_frame: the value depends on its n terms only
  @   axiom layernorm_sqdev_frame{L1, L2}:
  @     \forall float *a, integer a0, real m, integer n; 0 <= n &&
  @       (\forall integer i; 0 <= i < n ==> \at(a[a0 + i], L1) == \at(a[a0 + i], L2)) ==>
  @       layernorm_sqdev{L1}(a, a0, m, n) == layernorm_sqdev{L2}(a, a0, m, n);
  @ }
  @ axiomatic LayernormSqdevTerms {
  @   logic real layernorm_sqdev_terms{L}(float *a, integer a0, real m, integer n) reads a[..];
  @   axiom layernorm_sqdev_terms_empty{L}:
  @     \forall float *a, integer a0, real m; layernorm_sqdev_terms(a, a0, m, 0) == 0.0;
  @   axiom layernorm_sqdev_terms_next{L}:
  @     \forall float *a, integer a0, real m, integer n; 0 <= n ==>
  @       layernorm_sqdev_terms(a, a0, m, n + 1) ==
  @       layernorm_sqdev_terms(a, a0, m, n) + (a[a0 + n] - m) * (a[a0 + n] - m);
  @   axiom layernorm_sqdev_is_terms{L}:
  @     \forall float *a, integer a0, real m, integer n;
  @       layernorm_sqdev(a, a0, m, n) == layernorm_sqdev_terms(a, a0, m, n);
  @ }
  @
  @ // row n's biased variance and 1/√(var + eps), in state P
  @ logic real layernorm_var_at{P}(float *inp, integer C, integer n) =
  @   layernorm_sqdev(inp, n * C, layernorm_mean_at(inp, C, n), C) / C;
  @ logic real layernorm_rstd_at{P}(float *inp, real eps, integer C, integer n) =
  @   1.0 / \sqrt(layernorm_var_at(inp, C, n) + eps);
  @
  @ // one element of the real form: (x − m) · r · w + b
  @ logic real layernorm_value(real x, real m, real r, real w, real b) = (x - m) * r * w + b;
  @
  @ // element k of the real form's output in state P, row n = k / C, channel c = k % C
  @ logic real layernorm_at{P}(float *inp, float *weight, float *bias, real eps, integer C,
  @                            integer k) =
  @   layernorm_value(inp[k], layernorm_mean_at(inp, C, k / C),
  @                   layernorm_rstd_at(inp, eps, C, k / C), weight[k % C], bias[k % C]);
  @
  @ // The backward. Row n's inverse scale: rstd[n] (real form) or
  @ // 1 / scales[scale_class[n]] (fixed form)
  @ logic real layernorm_inv_at{P}(float *rstd, float *scales, uint8_t *scale_class,
  @                                integer fixed, integer n) =
  @   fixed != 0 ? 1.0 / scales[scale_class[n]] : rstd[n];
  @
  @ // Σ_i g_i·x̂_i over a row, g_i = dout[x0 + i]·γ[i], x̂_i = (inp[x0 + i] − m)·r
  @ // (the real form's variance term), in two axiomatics as lnf_dot
  @ axiomatic LayernormGx {
  @   logic real layernorm_gx{L}(float *dout, float *inp, float *weight, integer x0, real m,
  @                              real r, integer n) reads dout[..], inp[..], weight[..];
  @   // ASSUMED (verify/PROOFS.md), as lnf_dot_frame: the value depends on its n terms only
  @   axiom layernorm_gx_frame{L1, L2}:
  @     \forall float *dout, *inp, *weight, integer x0, real m, real r, integer n; 0 <= n &&
  @       (\forall integer i; 0 <= i < n ==>
  @          \at(dout[x0 + i], L1) == \at(dout[x0 + i], L2) &&
  @          \at(inp[x0 + i], L1) == \at(inp[x0 + i], L2) &&
  @          \at(weight[i], L1) == \at(weight[i], L2)) ==>
  @       layernorm_gx{L1}(dout, inp, weight, x0, m, r, n) ==
  @       layernorm_gx{L2}(dout, inp, weight, x0, m, r, n);
  @ }
  @ axiomatic LayernormGxTerms {
  @   logic real layernorm_gx_terms{L}(float *dout, float *inp, float *weight, integer x0,
  @                                    real m, real r, integer n)
  @     reads dout[..], inp[..], weight[..];
  @   axiom layernorm_gx_terms_empty{L}:
  @     \forall float *dout, *inp, *weight, integer x0, real m, real r;
  @       layernorm_gx_terms(dout, inp, weight, x0, m, r, 0) == 0.0;
  @   axiom layernorm_gx_terms_next{L}:
  @     \forall float *dout, *inp, *weight, integer x0, real m, real r, integer n; 0 <= n ==>
  @       layernorm_gx_terms(dout, inp, weight, x0, m, r, n + 1) ==
  @       layernorm_gx_terms(dout, inp, weight, x0, m, r, n) +
  @       dout[x0 + n] * weight[n] * ((inp[x0 + n] - m) * r);
  @   axiom layernorm_gx_is_terms{L}:
  @     \forall float *dout, *inp, *weight, integer x0, real m, real r, integer n;
  @       layernorm_gx(dout, inp, weight, x0, m, r, n) ==
  @       layernorm_gx_terms(dout, inp, weight, x0, m, r, n);
  @ }
  @
  @ // one element of dinp: (g − mean g − x̂·mean(g·x̂))·r, g = dy·w, x̂ = (x − m)·r
  @ // (an axiom, as layernorm_dw_value below, for the same reason)
  @ axiomatic LayernormDx {
  @   logic real layernorm_dx_value(real dy, real w, real x, real m, real r, real gm, real gxm);
  @   axiom layernorm_dx_def: \forall real dy, w, x, m, r, gm, gxm;
  @     layernorm_dx_value(dy, w, x, m, r, gm, gxm) == (dy * w - gm - (x - m) * r * gxm) * r;
  @ }
  @
  @ // one row's term of dweight: x̂·dy = (x − m)·r·dy. Both values are axioms
  @ // rather than definitions, so that the provers compare two terms by their
  @ // arguments before they multiply out (param_rows' step times out otherwise).
  @ axiomatic LayernormDw {
  @   logic real layernorm_dw_value(real x, real m, real r, real dy);
  @   axiom layernorm_dw_def: \forall real x, m, r, dy;
  @     layernorm_dw_value(x, m, r, dy) == (x - m) * r * dy;
  @ }
  @
  @ // a row's mean g and mean g·x̂ (0 for the fixed form, whose scale is a constant)
  @ logic real layernorm_gmean_at{P}(float *dout, float *weight, integer x0, integer C) =
  @   lnf_dot(dout, x0, 1, weight, 0, 1, C) / C;
  @ logic real layernorm_gxmean_at{P}(float *dout, float *inp, float *weight, integer x0,
  @                                   real m, real r, integer fixed, integer C) =
  @   fixed != 0 ? 0.0 : layernorm_gx(dout, inp, weight, x0, m, r, C) / C;
  @
  @ // what the backward adds to dinp[k], row n = k / C, channel c = k % C, in state P
  @ logic real layernorm_dinp_at{P}(float *dout, float *inp, float *weight, float *mean,
  @                                 float *rstd, float *scales, uint8_t *scale_class,
  @                                 integer fixed, integer C, integer k) =
  @   layernorm_dx_value(dout[k], weight[k % C], inp[k], mean[k / C],
  @     layernorm_inv_at(rstd, scales, scale_class, fixed, k / C),
  @     layernorm_gmean_at(dout, weight, (k / C) * C, C),
  @     layernorm_gxmean_at(dout, inp, weight, (k / C) * C, mean[k / C],
  @                         layernorm_inv_at(rstd, scales, scale_class, fixed, k / C), fixed, C));
  @
  @ // what it adds to dweight[c] over rows 0 .. n−1: Σ_j x̂[j][c]·dout[j][c]
  @ axiomatic LayernormDweight {
  @   logic real layernorm_dweight_sum{L}(float *dout, float *inp, float *mean, float *rstd,
  @                                       float *scales, uint8_t *scale_class, integer fixed,
  @                                       integer C, integer c, integer n)
  @     reads dout[..], inp[..], mean[..], rstd[..], scales[..], scale_class[..];
  @ }
  @ axiomatic LayernormDweightTerms {
  @   logic real layernorm_dweight_terms{L}(float *dout, float *inp, float *mean, float *rstd,
  @                                         float *scales, uint8_t *scale_class, integer fixed,
  @                                         integer C, integer c, integer n)
  @     reads dout[..], inp[..], mean[..], rstd[..], scales[..], scale_class[..];
  @   axiom layernorm_dweight_terms_empty{L}:
  @     \forall float *dout, *inp, *mean, *rstd, *scales, uint8_t *scale_class,
  @             integer fixed, C, c;
  @       layernorm_dweight_terms(dout, inp, mean, rstd, scales, scale_class, fixed, C, c, 0) == 0.0;
  @   axiom layernorm_dweight_terms_next{L}:
  @     \forall float *dout, *inp, *mean, *rstd, *scales, uint8_t *scale_class,
  @             integer fixed, C, c, n; 0 <= n ==>
  @       layernorm_dweight_terms(dout, inp, mean, rstd, scales, scale_class, fixed, C, c, n + 1) ==
  @       layernorm_dweight_terms(dout, inp, mean, rstd, scales, scale_class, fixed, C, c, n) +
  @       layernorm_dw_value(inp[n * C + c], mean[n],
  @                          layernorm_inv_at(rstd, scales, scale_class, fixed, n), dout[n * C + c]);
  @   axiom layernorm_dweight_is_terms{L}:
  @     \forall float *dout, *inp, *mean, *rstd, *scales, uint8_t *scale_class,
  @             integer fixed, C, c, n;
  @       layernorm_dweight_sum(dout, inp, mean, rstd, scales, scale_class, fixed, C, c, n) ==
  @       layernorm_dweight_terms(dout, inp, mean, rstd, scales, scale_class, fixed, C, c, n);
  @ }
  @
  @ // one element of the fixed form: (x − m) / s · w + b
  @ logic real layernorm_fixed_value(real x, real m, real s, real w, real b) =
  @   (x - m) / s * w + b;
  @
  @ // element k of the fixed form's output in state P, row n = k / C, channel
  @ // c = k % C: (inp[k] − mean of row n) / scales[scale_class[n]] · γ[c] + β[c]
  @ logic real layernorm_fixed_at{P}(float *inp, float *weight, float *bias, float *scales,
  @                                  uint8_t *scale_class, integer C, integer k) =
  @   layernorm_fixed_value(inp[k], layernorm_mean_at(inp, C, k / C),
  @                         scales[scale_class[k / C]], weight[k % C], bias[k % C]);
  @*/

/*@ requires sizes: 0 < N && 0 < C && lnf_fits_int(N * C);
  @ requires eps: eps > 0;
  @ requires valid_out: lnf_writable(out, N*C) && lnf_writable(mean, N) && lnf_writable(rstd, N);
  @ requires readable: lnf_readable(inp, N*C) && layernorm_params(weight, bias, C);
  @ requires separated: \separated(out + (0 .. N*C-1), mean + (0 .. N-1), rstd + (0 .. N-1),
  @                     inp + (0 .. N*C-1), weight + (0 .. C-1), bias + (0 .. C-1));
  @ assigns out[0 .. N*C-1], mean[0 .. N-1], rstd[0 .. N-1];
  @ ensures mean: \forall integer n; 0 <= n < N ==> mean[n] == layernorm_mean_at{Pre}(inp, C, n);
  @ ensures rstd: \forall integer n; 0 <= n < N ==> rstd[n] == layernorm_rstd_at{Pre}(inp, eps, C, n);
  @ ensures value: \forall integer k; 0 <= k < N*C ==>
  @   out[k] == layernorm_at{Pre}(inp, weight, bias, eps, C, k);
  @*/
void layernorm_forward(float *out, float *mean, float *rstd,
                       const float *inp, const float *weight, const float *bias,
                       float eps, int N, int C);

/*@ requires sizes: 0 < N && 0 < C && lnf_fits_int(N * C);
  @ requires valid_grads: lnf_writable(dinp, N*C) && lnf_writable(dweight, C) &&
  @                       lnf_writable(dbias, C);
  @ requires readable: lnf_readable(dout, N*C) && lnf_readable(inp, N*C) &&
  @                    lnf_readable(weight, C) && lnf_readable(mean, N) && lnf_readable(rstd, N);
  @ requires separated: \separated(dinp + (0 .. N*C-1), dweight + (0 .. C-1), dbias + (0 .. C-1),
  @                     dout + (0 .. N*C-1), inp + (0 .. N*C-1), weight + (0 .. C-1),
  @                     mean + (0 .. N-1), rstd + (0 .. N-1));
  @ assigns dinp[0 .. N*C-1], dweight[0 .. C-1], dbias[0 .. C-1];
  @ ensures dinp: \forall integer k; 0 <= k < N*C ==> dinp[k] == \old(dinp[k]) +
  @   layernorm_dinp_at{Pre}(dout, inp, weight, mean, rstd, \null, \null, 0, C, k);
  @ ensures dweight: \forall integer c; 0 <= c < C ==> dweight[c] == \old(dweight[c]) +
  @   layernorm_dweight_sum{Pre}(dout, inp, mean, rstd, \null, \null, 0, C, c, N);
  @ ensures dbias: \forall integer c; 0 <= c < C ==>
  @   dbias[c] == \old(dbias[c]) + lnf_sum{Pre}(dout, c, C, N);
  @*/
void layernorm_backward(float *dinp, float *dweight, float *dbias,
                        const float *dout, const float *inp, const float *weight,
                        const float *mean, const float *rstd, int N, int C);

/*@ requires sizes: 0 < N && 0 < C && lnf_fits_int(N * C);
  @ requires valid_out: lnf_writable(out, N*C) && lnf_writable(mean, N);
  @ requires readable: lnf_readable(inp, N*C) && layernorm_params(weight, bias, C);
  @ requires scales: layernorm_scales(scales, scale_class, N);
  @ requires separated: \separated(out + (0 .. N*C-1), mean + (0 .. N-1), inp + (0 .. N*C-1),
  @                     weight + (0 .. C-1), bias + (0 .. C-1),
  @                     scales + (0 .. LN_SCALE_CLASSES-1), scale_class + (0 .. N-1));
  @ assigns out[0 .. N*C-1], mean[0 .. N-1];
  @ ensures mean: \forall integer n; 0 <= n < N ==> mean[n] == layernorm_mean_at{Pre}(inp, C, n);
  @ ensures value: \forall integer k; 0 <= k < N*C ==>
  @   out[k] == layernorm_fixed_at{Pre}(inp, weight, bias, scales, scale_class, C, k);
  @*/
void layernorm_fixed_forward(float *out, float *mean,
                             const float *inp, const float *weight, const float *bias,
                             const float *scales, const uint8_t *scale_class,
                             int N, int C);

/*@ requires sizes: 0 < N && 0 < C && lnf_fits_int(N * C);
  @ requires valid_grads: lnf_writable(dinp, N*C) && lnf_writable(dweight, C) &&
  @                       lnf_writable(dbias, C);
  @ requires readable: lnf_readable(dout, N*C) && lnf_readable(inp, N*C) &&
  @                    lnf_readable(weight, C) && lnf_readable(mean, N);
  @ requires scales: layernorm_scales(scales, scale_class, N);
  @ requires separated: \separated(dinp + (0 .. N*C-1), dweight + (0 .. C-1), dbias + (0 .. C-1),
  @                     dout + (0 .. N*C-1), inp + (0 .. N*C-1), weight + (0 .. C-1),
  @                     mean + (0 .. N-1), scales + (0 .. LN_SCALE_CLASSES-1),
  @                     scale_class + (0 .. N-1));
  @ assigns dinp[0 .. N*C-1], dweight[0 .. C-1], dbias[0 .. C-1];
  @ ensures dinp: \forall integer k; 0 <= k < N*C ==> dinp[k] == \old(dinp[k]) +
  @   layernorm_dinp_at{Pre}(dout, inp, weight, mean, \null, scales, scale_class, 1, C, k);
  @ ensures dweight: \forall integer c; 0 <= c < C ==> dweight[c] == \old(dweight[c]) +
  @   layernorm_dweight_sum{Pre}(dout, inp, mean, \null, scales, scale_class, 1, C, c, N);
  @ ensures dbias: \forall integer c; 0 <= c < C ==>
  @   dbias[c] == \old(dbias[c]) + lnf_sum{Pre}(dout, c, C, N);
  @*/
void layernorm_fixed_backward(float *dinp, float *dweight, float *dbias,
                              const float *dout, const float *inp, const float *weight,
                              const float *mean, const float *scales,
                              const uint8_t *scale_class, int N, int C);

/* The runtime form of the proven domain: LN_DOMAIN_OK when every input of a
 * layernorm_fixed_forward call lies inside it, else the first failing check. */
/*@ requires sizes: 0 < N && 0 < C && lnf_fits_int(N * C);
  @ requires readable: lnf_readable(inp, N*C) && layernorm_params(weight, bias, C) &&
  @                    lnf_readable(scales, LN_SCALE_CLASSES);
  @ assigns \nothing;
  @ ensures code: LN_DOMAIN_OK <= \result <= LN_DOMAIN_BAD_WIDTH;
  @ ensures in_domain: \result == LN_DOMAIN_OK ==>
  @   C <= LN_FIXED_MAX_C &&
  @   (\forall integer j; 0 <= j < LN_SCALE_CLASSES ==>
  @      LN_FIXED_MIN_SCALE <= scales[j] <= LN_FIXED_MAX_SCALE) &&
  @   (\forall integer i; 0 <= i < C ==>
  @      -LN_FIXED_MAX_ABS_PARAM <= weight[i] <= LN_FIXED_MAX_ABS_PARAM &&
  @      -LN_FIXED_MAX_ABS_PARAM <= bias[i] <= LN_FIXED_MAX_ABS_PARAM) &&
  @   (\forall integer i; 0 <= i < N*C ==> -LN_FIXED_MAX_ABS_X <= inp[i] <= LN_FIXED_MAX_ABS_X);
  @*/
int layernorm_fixed_domain_check(const float *inp, const float *weight, const float *bias,
                                 const float *scales, int N, int C);

/* A sentence describing a domain check's result. */
/*@ assigns \nothing; */
const char *layernorm_fixed_domain_message(int code);

#endif
