/* adamw: one AdamW update over a parameter array, and the global-norm clip.
 *
 * Follows torch.optim.AdamW (PyTorch 1.13, single-tensor path) operation for
 * operation, so trajectories agree to float round-off:
 *   p ← p·(1 − lr·wd);  m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²;
 *   p ← p − lr/(1−β1^t) · m / (√v/√(1−β2^t) + ε)
 * step t counts from 1. weight_decay is per array (0 for biases and LN). */
#ifndef LNFREE_KERNELS_ADAMW_H
#define LNFREE_KERNELS_ADAMW_H

#include <errno.h> /* sqrtf may set errno (EDOM): the contract says so */
#include "kernels/spec.h"

/* The hyper-parameters of one update (weight_decay already chosen for the
 * array: 0 for biases and LayerNorm parameters). */
typedef struct {
    float lr, beta1, beta2, eps, weight_decay;
} adamw_settings;

/*@ // What adamw_update computes over the reals, per element: the moments,
  @ // then the parameter from the new moments with the bias corrections
  @ // 1 − β1ᵗ and √(1 − β2ᵗ)
  @ logic real adamw_pow(real b, integer e) = e <= 0 ? 1.0 : adamw_pow(b, e - 1) * b;
  @ logic real adamw_m(real m, real g, real beta1) = m * beta1 + (1.0 - beta1) * g;
  @ logic real adamw_v(real v, real g, real beta2) = v * beta2 + (1.0 - beta2) * g * g;
  @ logic real adamw_param{L}(adamw_settings *s, real p, real m1, real v1, integer t) =
  @   p * (1.0 - s->lr * s->weight_decay) -
  @   (s->lr / (1.0 - adamw_pow(s->beta1, t))) *
  @   (m1 / (\sqrt(v1) / \sqrt(1.0 - adamw_pow(s->beta2, t)) + s->eps));
  @*/

/*@ requires size: 0 < n;
  @ requires step: 1 <= step;
  @ requires settings: \valid_read(s) &&
  @   0 <= s->beta1 < 1 && 0 <= s->beta2 < 1 && s->eps > 0 && s->lr >= 0 &&
  @   s->weight_decay >= 0;
  @ requires valid_state: lnf_writable(param, n) && lnf_writable(m, n) && lnf_writable(v, n);
  @ requires readable_grad: lnf_readable(grad, n);
  @ requires v_nonneg: \forall integer i; 0 <= i < n ==> v[i] >= 0;
  @ requires separated: \separated(param + (0 .. n-1), m + (0 .. n-1), v + (0 .. n-1),
  @                                grad + (0 .. n-1), s);
  @ assigns param[0 .. n-1], m[0 .. n-1], v[0 .. n-1], errno;
  @ ensures v_nonneg: \forall integer i; 0 <= i < n ==> v[i] >= 0;
  @ ensures m_value: \forall integer i; 0 <= i < n ==>
  @   m[i] == adamw_m(\old(m[i]), \old(grad[i]), \old(s->beta1));
  @ ensures v_value: \forall integer i; 0 <= i < n ==>
  @   v[i] == adamw_v(\old(v[i]), \old(grad[i]), \old(s->beta2));
  @ ensures param_value: \forall integer i; 0 <= i < n ==>
  @   param[i] == adamw_param{Pre}(s, \old(param[i]), m[i], v[i], step);
  @*/
void adamw_update(float *param, const float *grad, float *m, float *v, int n,
                  const adamw_settings *s, int step);

/* Σ x² accumulated in double; the global norm is √ of the sum over arrays. */
/*@ requires size: 0 < n;
  @ requires readable: lnf_readable(x, n);
  @ assigns \nothing;
  @ ensures value: \result == lnf_sumsq(x, n);
  @ ensures nonneg: \result >= 0;
  @*/
double adamw_sum_of_squares(const float *x, int n);

/* The factor clip_grad_norm_ multiplies by: min(1, max_norm/(norm + 1e-6)). */
/*@ logic real adamw_clip(real norm, real max_norm) =
  @   max_norm / (norm + 1e-6) < 1.0 ? max_norm / (norm + 1e-6) : 1.0;
  @*/
/*@ requires args: norm >= 0 && max_norm > 0;
  @ assigns \nothing;
  @ ensures value: \result == adamw_clip(norm, max_norm);
  @ ensures range: 0 < \result <= 1;
  @*/
float adamw_clip_coefficient(double norm, float max_norm);

/*@ requires size: 0 < n;
  @ requires valid: lnf_writable(x, n);
  @ assigns x[0 .. n-1];
  @ ensures value: \forall integer i; 0 <= i < n ==> x[i] == \old(x[i]) * factor;
  @*/
void adamw_scale_in_place(float *x, int n, float factor);

#endif
