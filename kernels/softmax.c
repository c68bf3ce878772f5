/* softmax and cross-entropy via log-sum-exp.
 *
 * The loops over a row's V logits are written so that GCC vectorises them:
 * reductions keep LANES independent partial results (a fixed summation order
 * that does not depend on the vector width) and expf comes from libmvec
 * (vecmath.h). Scalar expf and serial sums were a third of a small model's
 * training step (bench/README.md). */
#include "kernels/softmax.h"
#include "kernels/libm_spec.h"
#include "kernels/flat_index.h"
#include "kernels/index.h"
#include "kernels/vecmath.h"

/*@ requires size: 0 < V;
  @ requires readable_x: \valid_read(x + (0 .. V-1));
  @ assigns \nothing;
  @*/
static float row_max(const float *x, int V)
{
    float lane[LANES];
    /*@ loop invariant 0 <= j <= LANES;
      @ loop assigns j, lane[0 .. LANES-1];
      @ loop variant LANES - j;
      @*/
    for (int j = 0; j < LANES; j++) {
        lane[j] = x[0];
    }
    int i = 0;
    /*@ loop invariant 0 <= i <= V;
      @ loop assigns i, lane[0 .. LANES-1];
      @ loop variant V - i;
      @*/
    for (; i <= V - LANES; i += LANES) {
        /*@ loop invariant 0 <= j <= LANES;
          @ loop assigns j, lane[0 .. LANES-1];
          @ loop variant LANES - j;
          @*/
        for (int j = 0; j < LANES; j++) {
            lane[j] = x[i + j] > lane[j] ? x[i + j] : lane[j];
        }
    }
    /*@ loop invariant 0 <= i <= V;
      @ loop assigns i, lane[0];
      @ loop variant V - i;
      @*/
    for (; i < V; i++) {
        lane[0] = x[i] > lane[0] ? x[i] : lane[0];
    }
    float m = lane[0];
    /*@ loop invariant 1 <= j <= LANES;
      @ loop assigns j, m;
      @ loop variant LANES - j;
      @*/
    for (int j = 1; j < LANES; j++) {
        m = lane[j] > m ? lane[j] : m;
    }
    return m;
}

/* exp(min(z, 0)). Callers pass z = x − max x, which is never positive (max
 * is the largest of these same floats), so neither clamp ever changes a value:
 * they state the bounds where the provers (WP, and EVA's non-relational
 * domain) can see them. The result is in [0, 1]. */
/*@ assigns \result, errno;
  @ ensures value: \result == softmax_exp(z);
  @ ensures range: 0 <= \result <= 1;
  @*/
static float exp_nonpos(float z)
{
    if (z > 0.0f) {
        z = 0.0f;
    }
    float e = expf(z);
    return e > 1.0f ? 1.0f : e; /* never taken: expf(z ≤ 0) ≤ 1 */
}

/* Σ exp(x − m) with m = max x: every term is in [0, 1]. Accumulated in
 * double: a float sum over GPT-2's 50257 logits drifts by ~5e-5 relative.
 * The sum is in [1, V] (the max's own term is exp(0) = 1): the clamps never
 * change it; they state the bound for the provers (EVA cannot relate a sum
 * to its number of terms). */
/*@ requires size: 0 < V;
  @ requires readable_x: \valid_read(x + (0 .. V-1));
  @ assigns errno;
  @ ensures range: 1 <= \result <= V;
  @*/
static double row_sum_exp(const float *x, float m, int V)
{
    double acc[LANES];
    /*@ loop invariant 0 <= j <= LANES;
      @ loop invariant \forall integer k; 0 <= k < j ==> acc[k] == 0;
      @ loop assigns j, acc[0 .. LANES-1];
      @ loop variant LANES - j;
      @*/
    for (int j = 0; j < LANES; j++) {
        acc[j] = 0.0;
    }
    int i = 0;
    /*@ loop invariant 0 <= i <= V;
      @ loop invariant \forall integer k; 0 <= k < LANES ==> 0 <= acc[k] <= V;
      @ loop assigns i, acc[0 .. LANES-1], errno;
      @ loop variant V - i;
      @*/
    for (; i <= V - LANES; i += LANES) {
        /*@ loop invariant 0 <= j <= LANES;
          @ loop invariant \forall integer k; 0 <= k < LANES ==> 0 <= acc[k] <= V;
          @ loop assigns j, acc[0 .. LANES-1], errno;
          @ loop variant LANES - j;
          @*/
        for (int j = 0; j < LANES; j++) {
            double a = acc[j] + exp_nonpos(x[i + j] - m);
            acc[j] = a < (double)V ? a : (double)V; /* never clamps: each term is ≤ 1 */
        }
    }
    /*@ loop invariant 0 <= i <= V;
      @ loop invariant 0 <= acc[0] <= V;
      @ loop invariant \forall integer k; 0 <= k < LANES ==> 0 <= acc[k] <= V;
      @ loop assigns i, acc[0], errno;
      @ loop variant V - i;
      @*/
    for (; i < V; i++) {
        double a = acc[0] + exp_nonpos(x[i] - m);
        acc[0] = a < (double)V ? a : (double)V;
    }
    double sum = 0.0;
    /*@ loop invariant 0 <= j <= LANES;
      @ loop invariant 0 <= sum <= V;
      @ loop assigns j, sum;
      @ loop variant LANES - j;
      @*/
    for (int j = 0; j < LANES; j++) {
        sum += acc[j];
        sum = sum < (double)V ? sum : (double)V;
    }
    return sum < 1.0 ? 1.0 : sum; /* never taken: the max's own term is exp(0) = 1 */
}

void softmax_forward(float *probs, const float *logits, int N, int V)
{
    /*@ loop invariant 0 <= n <= N;
      @ loop assigns n, probs[0 .. N*V-1], errno;
      @ loop variant N - n;
      @*/
    for (int n = 0; n < N; n++) {
        int off = lnf_row_offset(n, N, V);
        const float *x = logits + off;
        float *p = probs + off;
        float m = row_max(x, V);
        float inv_sum = (float)(1.0 / row_sum_exp(x, m, V));
        /*@ loop invariant 0 <= i <= V;
          @ loop assigns i, p[0 .. V-1], errno;
          @ loop variant V - i;
          @*/
        for (int i = 0; i < V; i++) {
            p[i] = exp_nonpos(x[i] - m) * inv_sum;
        }
    }
}
void crossentropy_forward(float *losses, float *lse, const float *logits,
                          const int *targets, int N, int V)
{
    /*@ loop invariant 0 <= n <= N;
      @ loop invariant loss: \forall integer j; 0 <= j < n ==>
      @   losses[j] == lse[j] - logits[j * V + targets[j]];
      @ loop assigns n, losses[0 .. N-1], lse[0 .. N-1], errno;
      @ loop variant N - n;
      @*/
    for (int n = 0; n < N; n++) {
        const float *x = logits + lnf_row_offset(n, N, V);
        float m = row_max(x, V);
        float l = m + (float)log(row_sum_exp(x, m, V));
        lse[n] = l;
        losses[n] = l - x[targets[n]];
    }
}

/* One row of the gradient, the row of [N, V] at flat offset off:
 * dlogits[off + i] = softmax_exp(logits[off + i] − l)·dloss, then −dloss at
 * the target. A function of its own so that its proof sees one row; its
 * contract takes the whole arrays and quantifies over the flat index
 * (kernels/flat_index.h says why). */
/*@ requires size: 0 < V && 0 <= t < V && 0 <= off && lnf_fits_int(off + V);
  @ requires valid: lnf_writable(dlogits + off, V) && lnf_readable(logits + off, V) &&
  @                 lnf_apart(dlogits + off, V, logits + off, V);
  @ assigns dlogits[off .. off + V-1], errno;
  @ ensures value: \forall integer k; off <= k < off + V ==>
  @   dlogits[k] == crossentropy_dlogit(\old(logits[k]), l, t, dloss, k - off);
  @*/
static void crossentropy_backward_row(float *dlogits, const float *logits, int off, float l,
                                      int t, float dloss, int V)
{
    /* x − lse ≤ 0 since lse ≥ max x: exp_nonpos's clamp never fires */
    /*@ loop invariant 0 <= i <= V;
      @ loop invariant row: \forall integer k; off <= k < off + i ==>
      @   dlogits[k] == softmax_exp(\at(logits[k], Pre) - l) * dloss;
      @ loop assigns i, dlogits[off .. off + V-1], errno;
      @ loop variant V - i;
      @*/
    for (int i = 0; i < V; i++) {
        dlogits[off + i] = exp_nonpos(logits[off + i] - l) * dloss;
    }
    dlogits[off + t] -= dloss;
}

void crossentropy_backward(float *dlogits, const float *logits, const float *lse,
                           const int *targets, float dloss, int N, int V)
{
    /*@ loop invariant 0 <= n <= N;
      @ loop invariant rows: \forall integer k; 0 <= k < n * V ==>
      @   dlogits[k] == crossentropy_dlogit(\at(logits[k], Pre), \at(lse[k / V], Pre),
      @                                     \at(targets[k / V], Pre), dloss, k % V);
      @ loop assigns n, dlogits[0 .. N*V-1], errno;
      @ loop variant N - n;
      @*/
    for (int n = 0; n < N; n++) {
        int off = lnf_row_offset(n, N, V);
        crossentropy_backward_row(dlogits, logits, off, lse[n], targets[n], dloss, V);
        lnf_flat_row_facts(n, V);
    }
}
