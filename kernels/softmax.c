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

/* max_i x[i], as LANES running maxima (lane j sees x[j], x[j + LANES], …;
 * lane 0 also the tail) combined at the end */
/*@ requires size: 0 < V;
  @ requires readable_x: \valid_read(x + (0 .. V-1));
  @ assigns \nothing;
  @ ensures max: \result == softmax_max(x, V);
  @*/
static float row_max(const float *x, int V)
{
    float lane[LANES];
    /* arg (ghost): where each lane's maximum is, lane[j] == x[arg[j]] */
    //@ ghost int arg[LANES];
    /*@ loop invariant 0 <= j <= LANES;
      @ loop invariant start: \forall integer jj; 0 <= jj < j ==> lane[jj] == x[0] && arg[jj] == 0;
      @ loop assigns j, lane[0 .. LANES-1], arg[0 .. LANES-1];
      @ loop variant LANES - j;
      @*/
    for (int j = 0; j < LANES; j++) {
        lane[j] = x[0];
        //@ ghost arg[j] = 0;
    }
    int i = 0;
    /*@ loop invariant 0 <= i <= V && i % LANES == 0;
      @ loop invariant attained: \forall integer jj; 0 <= jj < LANES ==>
      @   0 <= arg[jj] < V && lane[jj] == x[arg[jj]];
      @ loop invariant upper: \forall integer s; 0 <= s < i ==> x[s] <= lane[s % LANES];
      @ loop assigns i, lane[0 .. LANES-1], arg[0 .. LANES-1];
      @ loop variant V - i;
      @*/
    for (; i <= V - LANES; i += LANES) {
        /*@ loop invariant 0 <= j <= LANES;
          @ loop invariant attained: \forall integer jj; 0 <= jj < LANES ==>
          @   0 <= arg[jj] < V && lane[jj] == x[arg[jj]];
          @ loop invariant grown: \forall integer jj; 0 <= jj < LANES ==>
          @   \at(lane[jj], LoopEntry) <= lane[jj];
          @ loop invariant block: \forall integer jj; 0 <= jj < j ==> x[i + jj] <= lane[jj];
          @ loop assigns j, lane[0 .. LANES-1], arg[0 .. LANES-1];
          @ loop variant LANES - j;
          @*/
        for (int j = 0; j < LANES; j++) {
            //@ ghost if (x[i + j] > lane[j]) arg[j] = i + j;
            lane[j] = x[i + j] > lane[j] ? x[i + j] : lane[j];
            //@ assert lane_j: x[i + j] <= lane[j];
            /*@ assert other_lanes: \forall integer jj; 0 <= jj < LANES && jj != j ==>
              @   lane[jj] == \at(lane[jj], LoopCurrent);
              @*/
        }
        /*@ assert block_lanes: \forall integer s; i <= s < i + LANES ==> s % LANES == s - i; */
    }
    /*@ loop invariant 0 <= i <= V;
      @ loop invariant attained: \forall integer jj; 0 <= jj < LANES ==>
      @   0 <= arg[jj] < V && lane[jj] == x[arg[jj]];
      @ loop invariant upper: \forall integer s; 0 <= s < i ==>
      @   x[s] <= lane[s % LANES] || x[s] <= lane[0];
      @ loop assigns i, lane[0], arg[0];
      @ loop variant V - i;
      @*/
    for (; i < V; i++) {
        //@ ghost if (x[i] > lane[0]) arg[0] = i;
        lane[0] = x[i] > lane[0] ? x[i] : lane[0];
    }
    float m = lane[0];
    //@ ghost int at = arg[0];
    /*@ loop invariant 1 <= j <= LANES;
      @ loop invariant upper: \forall integer jj; 0 <= jj < j ==> lane[jj] <= m;
      @ loop invariant attained: 0 <= at < V && m == x[at];
      @ loop assigns j, m, at;
      @ loop variant LANES - j;
      @*/
    for (int j = 1; j < LANES; j++) {
        //@ ghost if (lane[j] > m) at = arg[j];
        m = lane[j] > m ? lane[j] : m;
    }
    /*@ assert upper: \forall integer s; 0 <= s < V ==> x[s] <= m; */
    /*@ assert below_max: m <= softmax_max(x, V); */
    /*@ assert above_max: softmax_max(x, V) <= m; */
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

/* min(a, hi): the sums' clamps (below), a function of its own so that WP,
 * which proves that the one in the blocks of row_sum_exp never fires, does
 * not flag it as dead code */
/*@ assigns \nothing;
  @ ensures value: \result == (a < hi ? a : hi);
  @*/
static inline double at_most(double a, double hi)
{
    return a < hi ? a : hi;
}

/* Σ exp(x − m) with m = max x: every term is in [0, 1]. Accumulated in
 * double: a float sum over GPT-2's 50257 logits drifts by ~5e-5 relative.
 * The sum is in [1, V] (the max's own term is exp(0) = 1): the clamps never
 * change it; they state the bound for the provers (EVA cannot relate a sum
 * to its number of terms). The terms go lane by lane (softmax_sum_lanes in
 * softmax.h): lane j after r blocks holds at most r of them, which is how
 * WP sees that the clamps to V never fire. */
/*@ requires size: 0 < V;
  @ requires readable_x: \valid_read(x + (0 .. V-1));
  @ assigns errno;
  @ ensures value: \result == (softmax_sum_exp(x, m, V) < 1.0 ? 1.0 : softmax_sum_exp(x, m, V));
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
    /*@ loop invariant 0 <= i <= V && i % LANES == 0;
      @ loop invariant lanes: \forall integer k; 0 <= k < LANES ==>
      @   acc[k] == softmax_lane(x, m, k, i / LANES) && 0 <= acc[k] <= i / LANES;
      @ loop assigns i, acc[0 .. LANES-1], errno;
      @ loop variant V - i;
      @*/
    for (; i <= V - LANES; i += LANES) {
        /*@ loop invariant 0 <= j <= LANES;
          @ loop invariant done: \forall integer k; 0 <= k < j ==>
          @   acc[k] == softmax_lane(x, m, k, i / LANES + 1) && 0 <= acc[k] <= i / LANES + 1;
          @ loop invariant todo: \forall integer k; j <= k < LANES ==>
          @   acc[k] == softmax_lane(x, m, k, i / LANES) && 0 <= acc[k] <= i / LANES;
          @ loop assigns j, acc[0 .. LANES-1], errno;
          @ loop variant LANES - j;
          @*/
        for (int j = 0; j < LANES; j++) {
            double a = acc[j] + exp_nonpos(x[i + j] - m);
            acc[j] = at_most(a, (double)V); /* never clamps: each term is ≤ 1 */
        }
    }
    //@ assert blocks: i == (V / LANES) * LANES;
    /*@ loop invariant (V / LANES) * LANES <= i <= V;
      @ loop invariant tail: acc[0] == softmax_lane(x, m, 0, V / LANES) + softmax_tail(x, m, (V / LANES) * LANES, i);
      @ loop invariant tail_bound: 0 <= acc[0] <= (V / LANES) + (i - (V / LANES) * LANES);
      @ loop invariant lanes: \forall integer k; 1 <= k < LANES ==>
      @   acc[k] == softmax_lane(x, m, k, V / LANES) && 0 <= acc[k] <= V / LANES;
      @ loop assigns i, acc[0], errno;
      @ loop variant V - i;
      @*/
    for (; i < V; i++) {
        double a = acc[0] + exp_nonpos(x[i] - m);
        acc[0] = at_most(a, (double)V);
    }
    //@ assert first_lane: acc[0] == softmax_lanes(x, m, V, V / LANES, 1) && acc[0] <= V - (V / LANES) * LANES + (V / LANES);
    double sum = 0.0;
    /*@ loop invariant 0 <= j <= LANES;
      @ loop invariant value: j == 0 ==> sum == 0.0;
      @ loop invariant lanes: 1 <= j ==> sum == softmax_lanes(x, m, V, V / LANES, j);
      @ loop invariant bound: 0 <= sum <= (j == 0 ? 0 : V - (V / LANES) * LANES + j * (V / LANES));
      @ loop assigns j, sum;
      @ loop variant LANES - j;
      @*/
    for (int j = 0; j < LANES; j++) {
        //@ assert lanes_fit: (j + 1) * (V / LANES) <= LANES * (V / LANES);
        sum += acc[j];
        //@ assert no_clamp: sum <= V;
        //@ assert next_lane: sum == softmax_lanes(x, m, V, V / LANES, j + 1);
        sum = at_most(sum, (double)V);
    }
    return sum < 1.0 ? 1.0 : sum; /* never taken: the max's own term is exp(0) = 1 */
}

void softmax_forward(float *probs, const float *logits, int N, int V)
{
    /*@ loop invariant 0 <= n <= N;
      @ loop invariant rows: \forall integer k; 0 <= k < n * V ==>
      @   probs[k] == softmax_prob{Pre}(logits + (k / V) * V, V, k % V);
      @ loop assigns n, probs[0 .. N*V-1], errno;
      @ loop variant N - n;
      @*/
    for (int n = 0; n < N; n++) {
        int off = lnf_row_offset(n, N, V);
        const float *x = logits + off;
        float *p = probs + off;
        /* the row is as on entry (only probs was written) */
        /*@ assert same_row: \forall integer i; 0 <= i < V ==> x[i] == lnf_at{Pre}(x + i); */
        float m = row_max(x, V);
        //@ assert max_same: m == softmax_max{Pre}(x, V);
        float inv_sum = (float)(1.0 / row_sum_exp(x, m, V));
        //@ assert sum_same: softmax_sum_exp(x, m, V) == softmax_sum_exp{Pre}(x, m, V);
        //@ assert inv_value: inv_sum == 1.0 / softmax_denominator{Pre}(x, V);
        /*@ loop invariant 0 <= i <= V;
          @ loop invariant row: \forall integer k; off <= k < off + i ==>
          @   probs[k] == softmax_exp(lnf_at{Pre}(logits + k) - m) * inv_sum;
          @ loop invariant kept: \forall integer k; 0 <= k < off ==> probs[k] == \at(probs[k], LoopEntry);
          @ loop assigns i, p[0 .. V-1], errno;
          @ loop variant V - i;
          @*/
        for (int i = 0; i < V; i++) {
            //@ assert x_i: x[i] == lnf_at{Pre}(logits + (off + i));
            p[i] = exp_nonpos(x[i] - m) * inv_sum;
            //@ assert p_i: probs[off + i] == softmax_exp(lnf_at{Pre}(logits + (off + i)) - m) * inv_sum;
        }
        lnf_flat_row_facts(n, V);
        /*@ assert row_index: \forall integer k; off <= k < off + V ==>
          @   (k / V) * V == off && k % V == k - off;
          @*/
        /*@ assert row_terms: \forall integer k; off <= k < off + V ==>
          @   probs[k] == softmax_exp(lnf_at{Pre}(x + (k - off)) - softmax_max{Pre}(x, V)) *
          @               (1.0 / softmax_denominator{Pre}(x, V));
          @*/
        /*@ assert row_probs: \forall integer k; off <= k < off + V ==>
          @   probs[k] == softmax_prob{Pre}(x, V, k - off);
          @*/
        /*@ assert row_start: \forall integer k; off <= k < off + V ==> logits + (k / V) * V == x; */
        /*@ assert new_row: \forall integer k; off <= k < off + V ==>
          @   probs[k] == softmax_prob{Pre}(logits + (k / V) * V, V, k % V);
          @*/
    }
}

void crossentropy_forward(float *losses, float *lse, const float *logits,
                          const int *targets, int N, int V)
{
    lnf_stride_facts(N, V);
    /*@ assert target_index: \forall integer j; 0 <= j < N ==> 0 <= j * V + targets[j] < N * V; */
    /*@ loop invariant 0 <= n <= N;
      @ loop invariant lse: \forall integer j; 0 <= j < n ==>
      @   lse[j] == softmax_lse{Pre}(logits + j * V, V);
      @ loop invariant loss: \forall integer j; 0 <= j < n ==>
      @   losses[j] == lse[j] - logits[j * V + targets[j]];
      @ loop assigns n, losses[0 .. N-1], lse[0 .. N-1], errno;
      @ loop variant N - n;
      @*/
    for (int n = 0; n < N; n++) {
        const float *x = logits + lnf_row_offset(n, N, V);
        /*@ assert same_row: \forall integer i; 0 <= i < V ==> x[i] == lnf_at{Pre}(x + i); */
        float m = row_max(x, V);
        //@ assert max_same: m == softmax_max{Pre}(x, V);
        float l = m + (float)log(row_sum_exp(x, m, V));
        //@ assert sum_same: softmax_sum_exp(x, m, V) == softmax_sum_exp{Pre}(x, m, V);
        //@ assert lse_value: l == softmax_lse{Pre}(x, V);
        lse[n] = l;
        losses[n] = l - x[targets[n]];
        //@ assert loss_n: losses[n] == lse[n] - logits[n * V + targets[n]];
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
