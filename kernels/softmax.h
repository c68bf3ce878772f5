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
#include "kernels/libm_spec.h" /* lnf_expf */

/*@ // exp(z) as the kernels take it for z = x − max or x − lse (≤ 0 for
  @ // every input): z clamped to ≤ 0, the result to ≤ 1 (neither ever fires)
  @ logic real softmax_e(real z) = z > 0.0 ? lnf_expf(0.0) : lnf_expf(z);
  @ logic real softmax_exp(real z) = softmax_e(z) > 1.0 ? 1.0 : softmax_e(z);
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
  @*/
void softmax_forward(float *probs, const float *logits, int N, int V);

/*@ requires sizes: 0 < N && 0 < V && lnf_fits_int(N * V);
  @ requires valid_out: lnf_writable(losses, N) && lnf_writable(lse, N);
  @ requires readable: lnf_readable(logits, N * V) && lnf_readable_ints(targets, N);
  @ requires targets: lnf_ids_below(targets, N, V);
  @ requires separated: \separated(losses + (0 .. N-1), lse + (0 .. N-1),
  @                                logits + (0 .. N*V-1), targets + (0 .. N-1));
  @ assigns losses[0 .. N-1], lse[0 .. N-1], errno;
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
