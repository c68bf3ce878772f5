/* softmax and cross-entropy via log-sum-exp. */
#include "softmax.h"
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

/* Σ exp(x − m) with m = max x: every term is in (0, 1]. Accumulated in
 * double: a float sum over GPT-2's 50257 logits drifts by ~5e-5 relative. */
/*@ requires 0 < V;
  @ requires \valid_read(x + (0 .. V-1));
  @ assigns \nothing;
  @*/
static double row_sum_exp(const float *x, float m, int V)
{
    double sum = 0.0;
    /*@ loop invariant 0 <= i <= V;
      @ loop assigns i, sum;
      @ loop variant V - i;
      @*/
    for (int i = 0; i < V; i++) {
        sum += expf(x[i] - m);
    }
    return sum;
}

void softmax_forward(float *probs, const float *logits, int N, int V)
{
    /*@ loop invariant 0 <= n <= N;
      @ loop assigns n, probs[0 .. N*V-1];
      @ loop variant N - n;
      @*/
    for (int n = 0; n < N; n++) {
        const float *x = logits + n * V;
        float *p = probs + n * V;
        float m = row_max(x, V);
        float inv_sum = (float)(1.0 / row_sum_exp(x, m, V));
        /*@ loop invariant 0 <= i <= V;
          @ loop assigns i, p[0 .. V-1];
          @ loop variant V - i;
          @*/
        for (int i = 0; i < V; i++) {
            p[i] = expf(x[i] - m) * inv_sum;
        }
    }
}

void crossentropy_forward(float *losses, float *lse, const float *logits,
                          const int *targets, int N, int V)
{
    /*@ loop invariant 0 <= n <= N;
      @ loop assigns n, losses[0 .. N-1], lse[0 .. N-1];
      @ loop variant N - n;
      @*/
    for (int n = 0; n < N; n++) {
        const float *x = logits + n * V;
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
      @ loop assigns n, dlogits[0 .. N*V-1];
      @ loop variant N - n;
      @*/
    for (int n = 0; n < N; n++) {
        const float *x = logits + n * V;
        float *dx = dlogits + n * V;
        float l = lse[n];
        /*@ loop invariant 0 <= i <= V;
          @ loop assigns i, dx[0 .. V-1];
          @ loop variant V - i;
          @*/
        for (int i = 0; i < V; i++) {
            dx[i] = expf(x[i] - l) * dloss;
        }
        dx[targets[n]] -= dloss;
    }
}
