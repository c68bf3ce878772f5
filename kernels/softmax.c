/* softmax and cross-entropy via log-sum-exp. */
#include "softmax.h"
#include "index.h"
#include <math.h>

/*@ requires 0 < V;
  @ requires \valid_read(x + (0 .. V-1));
  @ assigns \nothing;
  @*/
static float row_max(const float *x, int V)
{
    float m = x[0];
    /*@ loop invariant 1 <= i <= V;
      @ loop assigns i, m;
      @ loop variant V - i;
      @*/
    for (int i = 1; i < V; i++) {
        if (x[i] > m) {
            m = x[i];
        }
    }
    return m;
}

/* exp(min(z, 0)). Callers pass z = x − max x, which is never positive (max
 * is the largest of these same floats), so neither clamp ever changes a value:
 * they state the bounds where the provers (WP, and EVA's non-relational
 * domain) can see them. The result is in [0, 1]. */
/*@ assigns \result, errno;
  @ ensures 0 <= \result <= 1;
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
/*@ requires 0 < V;
  @ requires \valid_read(x + (0 .. V-1));
  @ assigns errno;
  @ ensures 1 <= \result <= V;
  @*/
static double row_sum_exp(const float *x, float m, int V)
{
    double sum = 0.0;
    /*@ loop invariant 0 <= i <= V;
      @ loop invariant 0 <= sum <= V;
      @ loop assigns i, sum, errno;
      @ loop variant V - i;
      @*/
    for (int i = 0; i < V; i++) {
        sum += exp_nonpos(x[i] - m);
        sum = sum > (double)V ? (double)V : sum;
    }
    return sum < 1.0 ? 1.0 : sum;
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
        /* p[i] = exp(x[i] − m) first, then scaled by 1/Σ: the same values, in
         * the same order, as summing first and recomputing each exp. */
        double sum = 0.0;
        /*@ loop invariant 0 <= i <= V;
          @ loop invariant sum_pos: 0 <= sum;
          @ loop assigns i, sum, p[0 .. V-1], errno;
          @ loop variant V - i;
          @*/
        for (int i = 0; i < V; i++) {
            float e = exp_nonpos(x[i] - m);
            p[i] = e;
            sum += e;
            sum = sum > (double)V ? (double)V : sum; /* never clamps: each term is ≤ 1 */
        }
        if (sum < 1.0) {
            sum = 1.0; /* never taken: the max's own term is exp(0) = 1 */
        }
        float inv_sum = (float)(1.0 / sum);
        /*@ loop invariant 0 <= i <= V;
          @ loop assigns i, p[0 .. V-1];
          @ loop variant V - i;
          @*/
        for (int i = 0; i < V; i++) {
            p[i] = p[i] * inv_sum;
        }
    }
}

void crossentropy_forward(float *losses, float *lse, const float *logits,
                          const int *targets, int N, int V)
{
    /*@ loop invariant 0 <= n <= N;
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

void crossentropy_backward(float *dlogits, const float *logits, const float *lse,
                           const int *targets, float dloss, int N, int V)
{
    /*@ loop invariant 0 <= n <= N;
      @ loop assigns n, dlogits[0 .. N*V-1], errno;
      @ loop variant N - n;
      @*/
    for (int n = 0; n < N; n++) {
        int off = lnf_row_offset(n, N, V);
        const float *x = logits + off;
        float *dx = dlogits + off;
        float l = lse[n];
        /* x − lse ≤ 0 since lse ≥ max x: exp_nonpos's clamp never fires */
        /*@ loop invariant 0 <= i <= V;
          @ loop assigns i, dx[0 .. V-1], errno;
          @ loop variant V - i;
          @*/
        for (int i = 0; i < V; i++) {
            dx[i] = exp_nonpos(x[i] - l) * dloss;
        }
        dx[targets[n]] -= dloss;
    }
}
