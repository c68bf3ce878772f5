/* softmax and cross-entropy over rows of V logits.
 *
 * softmax_forward: probs = exp(x − max x) / Σ exp(x − max x), each in [0, 1].
 * crossentropy_forward: losses[n] = lse[n] − logits[n, targets[n]] with
 * lse = max + log Σ exp(x − max) (log-sum-exp: never the log of a probability
 * that can underflow); lse [N] is saved for backward.
 * crossentropy_backward: the gradient of dloss·Σ_n losses[n] (dloss = 1/N for
 * the mean), dlogits = (softmax − onehot(target))·dloss, written (=) in one
 * pass from the logits and saved lse. */
#ifndef LNFREE_KERNELS_SOFTMAX_H
#define LNFREE_KERNELS_SOFTMAX_H

#include <errno.h> /* expf may set errno (ERANGE on underflow): the contracts say so */
#include "kernels/spec.h"
#include "kernels/libm_spec.h" /* lnf_expf, lnf_log */
#include "kernels/row_max_spec.h" /* softmax_max */
#ifdef __FRAMAC__
/* LANES, for the sums' logic only: C includers of this header need not get
 * vecmath.h's vectorised expf declaration */
#include "kernels/vecmath.h"
#endif

/*@ // exp(z) as the kernels take it for z = x − max or x − lse (≤ 0 for
  @ // every input): z clamped to ≤ 0 (libm_spec.h), the result to ≤ 1
  @ // (neither clamp ever fires)
  @ logic real softmax_exp(real z) = lnf_expf_nonpos(z) > 1.0 ? 1.0 : lnf_expf_nonpos(z);
  @
  @ // Σ_i exp(x[i] − m) over a row of n values, over the reals. The kernels
  @ // add the terms lane by lane (kernels/vecmath.h): softmax_sum_lanes says
  @ // so, and the contracts name only softmax_sum_exp, whose terms the
  @ // provers see only where the sum is computed (as lnf_dot in dot_spec.h).
  @ axiomatic SoftmaxSumExp {
  @   logic real softmax_sum_exp{L}(float *x, real m, integer n) reads x[0 .. n - 1];
  @   // ASSUMED (verify/PROOFS.md): the value depends on the n terms only; it
  @   // follows from softmax_sum_lanes' axioms by induction, which the SMT
  @   // provers do not do
  @   axiom softmax_sum_exp_frame{L1, L2}: \forall float *x, real m, integer n;
  @     (\forall integer i; 0 <= i < n ==> \at(x[i], L1) == \at(x[i], L2)) ==>
  @     softmax_sum_exp{L1}(x, m, n) == softmax_sum_exp{L2}(x, m, n);
  @ }
  @
  @ // the sum in the kernels' order: lane j holds the terms j, j + LANES, …
  @ // of the first r blocks of LANES; the terms from i0 past the last block
  @ // go to lane 0; the lanes are added last, lane 0 first
  @ axiomatic SoftmaxSumLanes {
  @   logic real softmax_lane{L}(float *x, real m, integer j, integer r) reads x[..];
  @   axiom softmax_lane_empty{L}: \forall float *x, real m, integer j;
  @     softmax_lane(x, m, j, 0) == 0.0;
  @   axiom softmax_lane_next{L}: \forall float *x, real m, integer j, r; 0 <= r ==>
  @     softmax_lane(x, m, j, r + 1) ==
  @     softmax_lane(x, m, j, r) + softmax_exp(x[r * LANES + j] - m);
  @   logic real softmax_tail{L}(float *x, real m, integer i0, integer i) reads x[..];
  @   axiom softmax_tail_empty{L}: \forall float *x, real m, integer i0;
  @     softmax_tail(x, m, i0, i0) == 0.0;
  @   axiom softmax_tail_next{L}: \forall float *x, real m, integer i0, i; i0 <= i ==>
  @     softmax_tail(x, m, i0, i + 1) == softmax_tail(x, m, i0, i) + softmax_exp(x[i] - m);
  @   // lanes 0 .. J-1 of r blocks, lane 0 with the tail from r·LANES to n
  @   logic real softmax_lanes{L}(float *x, real m, integer n, integer r, integer J) reads x[..];
  @   axiom softmax_lanes_first{L}: \forall float *x, real m, integer n, r;
  @     softmax_lanes(x, m, n, r, 1) ==
  @     softmax_lane(x, m, 0, r) + softmax_tail(x, m, r * LANES, n);
  @   axiom softmax_lanes_next{L}: \forall float *x, real m, integer n, r, J; 1 <= J ==>
  @     softmax_lanes(x, m, n, r, J + 1) == softmax_lanes(x, m, n, r, J) + softmax_lane(x, m, J, r);
  @   axiom softmax_sum_is_lanes{L}: \forall float *x, real m, integer n;
  @     softmax_sum_exp(x, m, n) == softmax_lanes(x, m, n, n / LANES, LANES);
  @ }
  @
  @ // the softmax's denominator as the kernels take it: Σ exp(x − max), at
  @ // least 1 (the max's own term is e⁰ = 1, so the clamp never fires; the
  @ // contract states it rather than prove it)
  @ logic real softmax_denominator{L}(float *x, integer n) =
  @   softmax_sum_exp(x, softmax_max(x, n), n) < 1.0 ? 1.0 :
  @   softmax_sum_exp(x, softmax_max(x, n), n);
  @
  @ // probs[k] of softmax_forward and lse[n] of crossentropy_forward, for the
  @ // row x of n logits: exp(x[i] − max)/Σ exp(x − max) (written as the kernel
  @ // computes it, exp(x[i] − max)·(1/Σ)), and max + log Σ exp(x − max)
  @ logic real softmax_prob{L}(float *x, integer n, integer i) =
  @   softmax_exp(x[i] - softmax_max(x, n)) * (1.0 / softmax_denominator(x, n));
  @ logic real softmax_lse{L}(float *x, integer n) =
  @   softmax_max(x, n) + lnf_log(softmax_denominator(x, n));
  @
  @ // dlogits[n][i] of crossentropy_backward, from x = logits[n][i], l = lse[n]
  @ // and t = targets[n]: (softmax − onehot(t))·dloss
  @ logic real crossentropy_dlogit(real x, real l, integer t, real dloss, integer i) =
  @   softmax_exp(x - l) * dloss - (i == t ? dloss : 0.0);
  @*/

/*@ requires sizes: 0 < N && 0 < V && lnf_fits_int(N * V);
  @ requires valid_probs: lnf_writable(probs, N * V);
  @ requires readable_logits: lnf_readable(logits, N * V);
  @ requires separated: lnf_apart(probs, N * V, logits, N * V);
  @ assigns probs[0 .. N*V-1], errno;
  @ ensures value: \forall integer k; 0 <= k < N*V ==>
  @   probs[k] == softmax_prob{Pre}(logits + (k / V) * V, V, k % V);
  @*/
void softmax_forward(float *probs, const float *logits, int N, int V);

/*@ requires sizes: 0 < N && 0 < V && lnf_fits_int(N * V);
  @ requires valid_out: lnf_writable(losses, N) && lnf_writable(lse, N);
  @ requires readable: lnf_readable(logits, N * V) && lnf_readable_ints(targets, N);
  @ requires targets: lnf_ids_below(targets, N, V);
  @ requires separated: \separated(losses + (0 .. N-1), lse + (0 .. N-1),
  @                                logits + (0 .. N*V-1), targets + (0 .. N-1));
  @ assigns losses[0 .. N-1], lse[0 .. N-1], errno;
  @ ensures lse: \forall integer n; 0 <= n < N ==> lse[n] == softmax_lse{Pre}(logits + n * V, V);
  @ ensures loss: \forall integer n; 0 <= n < N ==>
  @   losses[n] == lse[n] - logits[n * V + targets[n]];
  @*/
void crossentropy_forward(float *losses, float *lse, const float *logits,
                          const int *targets, int N, int V);

/*@ requires sizes: 0 < N && 0 < V && lnf_fits_int(N * V);
  @ requires valid_dlogits: lnf_writable(dlogits, N * V);
  @ requires readable: lnf_readable(logits, N * V) && lnf_readable(lse, N) &&
  @                    lnf_readable_ints(targets, N);
  @ requires targets: lnf_ids_below(targets, N, V);
  @ requires separated: \separated(dlogits + (0 .. N*V-1), logits + (0 .. N*V-1),
  @                                lse + (0 .. N-1), targets + (0 .. N-1));
  @ assigns dlogits[0 .. N*V-1], errno;
  @ ensures value: \forall integer k; 0 <= k < N*V ==>
  @   dlogits[k] == crossentropy_dlogit(\old(logits[k]), \old(lse[k / V]), \old(targets[k / V]),
  @                                     dloss, k % V);
  @*/
void crossentropy_backward(float *dlogits, const float *logits, const float *lse,
                           const int *targets, float dloss, int N, int V);

#endif
