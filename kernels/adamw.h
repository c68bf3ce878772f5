/* adamw: one AdamW update over a parameter array, and the global-norm clip.
 *
 * Follows torch.optim.AdamW (PyTorch 1.13, single-tensor path) operation for
 * operation, so trajectories agree to float round-off:
 *   p ← p·(1 − lr·wd);  m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²;
 *   p ← p − lr/(1−β1^t) · m / (√v/√(1−β2^t) + ε)
 * step t counts from 1. weight_decay is per array (0 for biases and LN). */
#ifndef LNFREE_KERNELS_ADAMW_H
#define LNFREE_KERNELS_ADAMW_H

/*@ requires 0 < n;
  @ requires 1 <= step;
  @ requires 0 <= beta1 < 1 && 0 <= beta2 < 1 && eps > 0 && lr >= 0 && weight_decay >= 0;
  @ requires \valid(param + (0 .. n-1));
  @ requires \valid(m + (0 .. n-1));
  @ requires \valid(v + (0 .. n-1));
  @ requires \valid_read(grad + (0 .. n-1));
  @ requires v_nonneg: \forall integer i; 0 <= i < n ==> v[i] >= 0;
  @ requires \separated(param + (0 .. n-1), m + (0 .. n-1), v + (0 .. n-1), grad + (0 .. n-1));
  @ assigns param[0 .. n-1], m[0 .. n-1], v[0 .. n-1];
  @ ensures v_nonneg: \forall integer i; 0 <= i < n ==> v[i] >= 0;
  @*/
void adamw_update(float *param, const float *grad, float *m, float *v, int n,
                  float lr, float beta1, float beta2, float eps, float weight_decay,
                  int step);

/* Σ x² accumulated in double; the global norm is √ of the sum over arrays. */
/*@ logic real adamw_sumsq{L}(float *x, integer k) =
  @   k <= 0 ? 0.0 : adamw_sumsq(x, k - 1) + x[k - 1] * x[k - 1];
  @*/
/*@ requires 0 < n;
  @ requires \valid_read(x + (0 .. n-1));
  @ assigns \nothing;
  @ ensures value: \result == adamw_sumsq(x, n);
  @ ensures \result >= 0;
  @*/
double sum_of_squares(const float *x, int n);

/* The factor clip_grad_norm_ multiplies by: min(1, max_norm/(norm + 1e-6)). */
/*@ requires norm >= 0 && max_norm > 0;
  @ assigns \nothing;
  @ ensures 0 < \result <= 1;
  @*/
float clip_coefficient(double norm, float max_norm);

/*@ requires 0 < n;
  @ requires \valid(x + (0 .. n-1));
  @ assigns x[0 .. n-1];
  @ ensures value: \forall integer i; 0 <= i < n ==> x[i] == \old(x[i]) * factor;
  @*/
void scale_in_place(float *x, int n, float factor);

#endif
