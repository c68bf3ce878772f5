/* attention: causal multi-head self-attention, forward and backward. The
 * work is one (batch entry, head) pair at a time, each on entry-local arrays;
 * the whole-batch functions run every pair in order. */
#include "kernels/attention.h"
#include <float.h>
#include "kernels/flat_index.h"
#include "kernels/index.h"
#include "kernels/vecmath.h"

/* a · b over n floats, as LANES partial sums (vecmath.h) added at the end:
 * attn_dot in attention.h */
/*@ requires size: 0 < n;
  @ requires readable_a: \valid_read(a + (0 .. n-1));
  @ requires readable_b: \valid_read(b + (0 .. n-1));
  @ assigns \nothing;
  @ ensures value: \result == attn_dot(a, b, n);
  @*/
static float dot(const float *a, const float *b, int n)
{
    float acc[LANES] = {0.0f};
    int i = 0;
    /* for EVA: at ±1e16 a term (|q·k| ≤ 1e8 in the domain) rounds back to the
     * bound, so the widened lanes are stable whatever n (verify/README.md) */
    /*@ widen_hints acc, -1e16, 1e16; */
    /*@ loop invariant 0 <= i <= n && i % LANES == 0;
      @ loop invariant lanes: \forall integer jj; 0 <= jj < LANES ==>
      @   acc[jj] == lnf_dot_sum(a, jj, LANES, b, jj, LANES, i / LANES);
      @ loop assigns i, acc[0 .. LANES-1];
      @ loop variant n - i;
      @*/
    for (; i <= n - LANES; i += LANES) {
        /*@ loop invariant 0 <= j <= LANES;
          @ loop invariant done: \forall integer jj; 0 <= jj < j ==>
          @   acc[jj] == lnf_dot_sum(a, jj, LANES, b, jj, LANES, i / LANES + 1);
          @ loop invariant todo: \forall integer jj; j <= jj < LANES ==>
          @   acc[jj] == lnf_dot_sum(a, jj, LANES, b, jj, LANES, i / LANES);
          @ loop assigns j, acc[0 .. LANES-1];
          @ loop variant LANES - j;
          @*/
        for (int j = 0; j < LANES; j++) {
            /*@ assert next_term: lnf_dot_sum(a, j, LANES, b, j, LANES, i / LANES + 1) ==
              @   lnf_dot_sum(a, j, LANES, b, j, LANES, i / LANES) +
              @   a[j + i / LANES * LANES] * b[j + i / LANES * LANES];
              @*/
            //@ assert same_term: j + i / LANES * LANES == i + j;
            acc[j] += a[i + j] * b[i + j];
            /*@ assert other_lanes: \forall integer jj; 0 <= jj < LANES && jj != j ==>
              @   acc[jj] == \at(acc[jj], LoopCurrent);
              @*/
        }
        //@ assert next_block: (i + LANES) / LANES == i / LANES + 1;
    }
    //@ assert blocks: i == n / LANES * LANES && n - i == n % LANES;
    /*@ loop invariant n / LANES * LANES <= i <= n;
      @ loop invariant lane0: acc[0] == lnf_dot_sum(a, 0, LANES, b, 0, LANES, n / LANES) +
      @   lnf_dot_sum(a, n / LANES * LANES, 1, b, n / LANES * LANES, 1, i - n / LANES * LANES);
      @ loop invariant others: \forall integer jj; 1 <= jj < LANES ==>
      @   acc[jj] == lnf_dot_sum(a, jj, LANES, b, jj, LANES, n / LANES);
      @ loop assigns i, acc[0];
      @ loop variant n - i;
      @*/
    for (; i < n; i++) {
        acc[0] += a[i] * b[i];
    }
    /*@ assert lane_values: acc[0] == attn_lane(a, b, n, 0) + attn_tail(a, b, n) &&
      @   \forall integer jj; 1 <= jj < LANES ==> acc[jj] == attn_lane(a, b, n, jj);
      @*/
    float sum = acc[0];
    /*@ loop invariant 1 <= j <= LANES;
      @ loop invariant sum: sum == attn_lanes(a, b, n, j);
      @ loop assigns j, sum;
      @ loop variant LANES - j;
      @*/
    for (int j = 1; j < LANES; j++) {
        sum += acc[j];
    }
    return sum;
}

/* Inside one entry's [T, C] arrays: the offset of row t's channels of the
 * head whose first channel is `head` (t·C + head), and of the pair's
 * attention row t in the entry's [NH, T, T] (h·T·T + t·T). */
typedef struct {
    int query, att_row;
} attn_index;

/*@ requires position: 0 <= t < T && 0 <= h < NH && 0 < hs && 0 <= head && head + hs <= C;
  @ requires fits_int: lnf_fits_int(T * C) && lnf_fits_int(NH * T * T);
  @ assigns \nothing;
  @ ensures query: \result.query == t * C + head;
  @ ensures query_range: 0 <= \result.query && \result.query + hs <= T * C;
  @ ensures att_row: \result.att_row == h * T * T + t * T;
  @ ensures att_in_head: h * T * T <= \result.att_row && \result.att_row + T <= (h + 1) * T * T;
  @*/
static attn_index attn_index_of(int t, int h, int head, int T, int C, int NH, int hs)
{
    (void)hs; /* bounds the contract only */
    attn_index ix;
    int row = lnf_row_offset(t, T, C);          /* t·C */
    //@ assert head_fits: row + head + hs <= row + C;
    ix.query = row + head;
    int first = lnf_row_offset(h, NH, T * T);   /* h·T·T */
    ix.att_row = first + lnf_row_offset(t, T, T);
    //@ assert in_head: first + T * T == (h + 1) * T * T;
    return ix;
}

/* Head h's size hs = C / NH and first channel h·hs. A function of its own so
 * that the callers' goals hold the bounds, not C = NH·hs, which Qed would
 * substitute for C in every index (products the provers then give up on). */
typedef struct {
    int hs, head;
} attn_head;

/*@ requires sizes: 0 < NH && 0 < C && C % NH == 0 && 0 <= h < NH;
  @ assigns \nothing;
  @ ensures hs: \result.hs == C / NH && 0 < \result.hs;
  @ ensures head: \result.head == h * (C / NH) && 0 <= \result.head &&
  @               \result.head + \result.hs <= C;
  @*/
static attn_head attn_head_of(int C, int NH, int h)
{
    attn_head a;
    a.hs = C / NH;
    //@ assert head_split: NH * a.hs == C && 0 < a.hs;
    a.head = lnf_row_offset(h, NH, a.hs);
    return a;
}

/* The offset of key row t2's channels of a head inside the entry's [T, C]. */
/*@ requires position: 0 <= t2 < T && 0 <= head && head + hs <= C && 0 < hs;
  @ requires fits_int: lnf_fits_int(T * C);
  @ assigns \nothing;
  @ ensures value: \result == t2 * C + head;
  @ ensures range: 0 <= \result && \result + hs <= T * C;
  @*/
static int key_offset(int t2, int head, int hs, int T, int C)
{
    (void)hs; /* bounds the contract only */
    return lnf_row_offset(t2, T, C) + head;
}

/* The proofs name intermediate states by C labels (the forward's Scores,
 * Weights and Row; dv's Row and Dv) that no goto uses. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-label"

/* Scores of query row t against keys 0 .. t into att_t, and their max.
 * q_t points at the row's hs channels, k at the entry's [T, C] keys, whose
 * channels head .. head+hs-1 are the head's. */
/*@ requires sizes: 0 <= t < T && 0 < hs && 0 <= head && head + hs <= C && lnf_fits_int(T * C);
  @ requires rows: \forall integer s; 0 <= s < T ==> 0 <= s * C && s * C + C <= T * C;
  @ requires scale: scale == 1.0 / \sqrt(hs);
  @ requires valid: \valid(att_t + (0 .. T-1)) && \valid_read(q_t + (0 .. hs-1)) &&
  @                 lnf_readable(k, T*C);
  @ requires separated: \separated(att_t + (0 .. T-1), q_t + (0 .. hs-1), k + (0 .. T*C-1));
  @ assigns att_t[0 .. t];
  @ ensures scores: \forall integer s; 0 <= s <= t ==>
  @   att_t[s] == attn_score{Pre}(q_t, k, head, C, hs, s);
  @ ensures max: \result == attn_max{Pre}(q_t, k, head, C, hs, t + 1);
  @*/
static float attention_scores(float *att_t, const float *q_t, const float *k,
                              int head, int hs, int C, int t, int T, float scale)
{
    float maxval = 0.0f;
    //@ ghost int at = 0;
    /*@ assert key_index: \forall integer s, i; 0 <= s <= t && 0 <= i < hs ==>
      @   0 <= s * C + head + i < T * C;
      @*/
    /*@ loop invariant 0 <= t2 <= t + 1;
      @ loop invariant scores: \forall integer s; 0 <= s < t2 ==>
      @   att_t[s] == attn_score{Pre}(q_t, k, head, C, hs, s);
      @ loop invariant upper: \forall integer s; 0 <= s < t2 ==> att_t[s] <= maxval;
      @ loop invariant attained: 0 < t2 ==> 0 <= at < t2 && maxval == att_t[at];
      @ loop assigns t2, maxval, at, att_t[0 .. t];
      @ loop variant t - t2;
      @*/
    for (int t2 = 0; t2 <= t; t2++) {
        //@ assert same_q: \forall integer i; 0 <= i < hs ==> q_t[i] == lnf_at{Pre}(q_t + i);
        //@ assert same_k: \forall integer x; 0 <= x < (t + 1) * C ==> k[x] == lnf_at{Pre}(k + x);
        //@ assert inputs: attn_same_inputs{Here, Pre}(q_t, k, head, C, hs, t + 1);
        float score = dot(q_t, k + key_offset(t2, head, hs, T, C), hs) * scale;
        //@ assert score_here: score == attn_score(q_t, k, head, C, hs, t2);
        //@ assert score: score == attn_score{Pre}(q_t, k, head, C, hs, t2);
        att_t[t2] = score;
        if (t2 == 0 || score > maxval) {
            maxval = score;
            //@ ghost at = t2;
        }
    }
    return maxval;
}

/* exp(score − m) in place for keys 0 .. t, and their sum. The clamp to ≤ 0
 * never changes a value (m is the max of these same floats): it gives the
 * provers the bound directly, and exp(≤ 0) ≤ 1 cannot overflow. */
/*@ requires size: 0 <= t < 0x7fffffff;
  @ requires valid: \valid(att_t + (0 .. t));
  @ requires scores: \forall integer s; 0 <= s <= t ==>
  @   att_t[s] == attn_score(q_t, k, head, C, hs, s);
  @ assigns att_t[0 .. t], errno;
  @ ensures exps: \forall integer s; 0 <= s <= t ==>
  @   att_t[s] == lnf_expf_nonpos(attn_score{Pre}(q_t, k, head, C, hs, s) - m);
  @ ensures sum: \result == attn_sum_exp{Pre}(q_t, k, head, C, hs, m, t + 1);
  @*/
static float attention_exp_sum(float *att_t, float m, int t,
                               const float *q_t, const float *k, int head, int hs, int C)
{
    (void)q_t; /* q_t, k, head, hs and C name the scores in the contract only */
    (void)k;
    (void)head;
    (void)hs;
    (void)C;
    float sum = 0.0f;
    /*@ loop invariant 0 <= t2 <= t + 1;
      @ loop invariant exps: \forall integer s; 0 <= s < t2 ==>
      @   att_t[s] == lnf_expf_nonpos(attn_score{Pre}(q_t, k, head, C, hs, s) - m);
      @ loop invariant scores: \forall integer s; t2 <= s <= t ==>
      @   att_t[s] == attn_score{Pre}(q_t, k, head, C, hs, s);
      @ loop invariant sum: sum == attn_sum_terms{Pre}(q_t, k, head, C, hs, m, t2);
      @ loop assigns t2, sum, att_t[0 .. t], errno;
      @ loop variant t - t2;
      @*/
    for (int t2 = 0; t2 <= t; t2++) {
        float z = att_t[t2] - m;
        if (z > 0.0f) {
            z = 0.0f;
        }
        float e = expf(z);
        //@ assert exp: e == lnf_expf_nonpos(att_t[t2] - m);
        att_t[t2] = e;
        sum += e;
    }
    return sum;
}

/* out_t[i] = Σ_{t2 ≤ t} att_t[t2]·v[t2·C + head + i], from the t2 = 0 term
 * (no zero store first: Frama-C's WP mistypes a float store that Qed
 * reduces to the constant 0). att_t holds row t's weights. */
/*@ requires sizes: 0 <= t < T && 0 < hs && 0 <= head && head + hs <= C && lnf_fits_int(T * C);
  @ requires rows: \forall integer s; 0 <= s < T ==> 0 <= s * C && s * C + C <= T * C;
  @ requires valid: \valid(out_t + (0 .. hs-1)) && \valid_read(att_t + (0 .. t)) &&
  @                 lnf_readable(v, T*C);
  @ requires separated: \separated(out_t + (0 .. hs-1), att_t + (0 .. t), v + (0 .. T*C-1));
  @ requires weights: \forall integer s; 0 <= s <= t ==>
  @   att_t[s] == attn_weight(q_t, k, head, C, hs, t, s);
  @ assigns out_t[0 .. hs-1];
  @ ensures out: \forall integer c; head <= c < head + hs ==>
  @   out_t[c - head] == attn_out{Pre}(q_t, k, v, head, C, hs, t, c);
  @*/
static void attention_weighted_sum(float *out_t, const float *att_t, const float *v,
                                   const float *q_t, const float *k,
                                   int head, int hs, int C, int t, int T)
{
    (void)q_t; /* q_t and k name the weights in the contract only */
    (void)k;
    const float *v_0 = v + key_offset(0, head, hs, T, C);
    float a_0 = att_t[0];
    /*@ loop invariant 0 <= i <= hs;
      @ loop invariant first: \forall integer ii; 0 <= ii < i ==>
      @   out_t[ii] == attn_out_terms{Pre}(q_t, k, v, head, C, hs, t, head + ii, 1);
      @ loop assigns i, out_t[0 .. hs-1];
      @ loop variant hs - i;
      @*/
    for (int i = 0; i < hs; i++) {
        /*@ assert first_term: attn_out_terms{Pre}(q_t, k, v, head, C, hs, t, head + i, 0 + 1) ==
          @   attn_out_terms{Pre}(q_t, k, v, head, C, hs, t, head + i, 0) +
          @   attn_weight{Pre}(q_t, k, head, C, hs, t, 0) * lnf_at{Pre}(v + (0 * C + (head + i)));
          @*/
        /*@ assert same_term: v_0[i] == lnf_at{Pre}(v + (0 * C + (head + i))) &&
          @   a_0 == attn_weight{Pre}(q_t, k, head, C, hs, t, 0);
          @*/
        out_t[i] = a_0 * v_0[i];
    }
    /*@ loop invariant 1 <= t2 <= t + 1;
      @ loop invariant sums: \forall integer ii; 0 <= ii < hs ==>
      @   out_t[ii] == attn_out_terms{Pre}(q_t, k, v, head, C, hs, t, head + ii, t2);
      @ loop assigns t2, out_t[0 .. hs-1];
      @ loop variant t - t2;
      @*/
    for (int t2 = 1; t2 <= t; t2++) {
        const float *v_t2 = v + key_offset(t2, head, hs, T, C);
        float a = att_t[t2];
        /*@ loop invariant 0 <= i <= hs;
          @ loop invariant done: \forall integer ii; 0 <= ii < i ==>
          @   out_t[ii] == attn_out_terms{Pre}(q_t, k, v, head, C, hs, t, head + ii, t2 + 1);
          @ loop invariant todo: \forall integer ii; i <= ii < hs ==>
          @   out_t[ii] == attn_out_terms{Pre}(q_t, k, v, head, C, hs, t, head + ii, t2);
          @ loop assigns i, out_t[0 .. hs-1];
          @ loop variant hs - i;
          @*/
        for (int i = 0; i < hs; i++) {
            /*@ assert next_term: attn_out_terms{Pre}(q_t, k, v, head, C, hs, t, head + i, t2 + 1) ==
              @   attn_out_terms{Pre}(q_t, k, v, head, C, hs, t, head + i, t2) +
              @   attn_weight{Pre}(q_t, k, head, C, hs, t, t2) * lnf_at{Pre}(v + (t2 * C + (head + i)));
              @*/
            /*@ assert same_term: v_t2[i] == lnf_at{Pre}(v + (t2 * C + (head + i))) &&
              @   a == attn_weight{Pre}(q_t, k, head, C, hs, t, t2);
              @*/
            out_t[i] += a * v_t2[i];
            /*@ assert other_columns: \forall integer ii; 0 <= ii < hs && ii != i ==>
              @   out_t[ii] == \at(out_t[ii], LoopCurrent);
              @*/
        }
    }
}

/* Query row t of one head (attention_forward_head): its scores against keys
 * 0 .. t and their softmax into att_t (0 past t). */
/*@ requires sizes: 0 <= t < T && 0 < hs && 0 <= head && head + hs <= C && lnf_fits_int(T * C);
  @ requires rows: \forall integer s; 0 <= s < T ==> 0 <= s * C && s * C + C <= T * C;
  @ requires scale: scale == 1.0 / \sqrt(hs);
  @ requires valid: \valid(att_t + (0 .. T-1)) && \valid_read(q_t + (0 .. hs-1)) &&
  @                 lnf_readable(k, T*C);
  @ requires separated: \separated(att_t + (0 .. T-1), q_t + (0 .. hs-1), k + (0 .. T*C-1));
  @ assigns att_t[0 .. T-1], errno;
  @ ensures weights: \forall integer s; 0 <= s < T ==>
  @   att_t[s] == attn_weight{Pre}(q_t, k, head, C, hs, t, s);
  @*/
static void attention_softmax_row(float *att_t, const float *q_t, const float *k,
                                  int head, int hs, int C, int t, int T, float scale)
{
    float maxval = attention_scores(att_t, q_t, k, head, hs, C, t, T, scale);
    //@ assert same_q: \forall integer i; 0 <= i < hs ==> q_t[i] == lnf_at{Pre}(q_t + i);
    //@ assert same_k: \forall integer x; 0 <= x < (t + 1) * C ==> k[x] == lnf_at{Pre}(k + x);
    //@ assert inputs: attn_same_inputs{Here, Pre}(q_t, k, head, C, hs, t + 1);
    /*@ assert scores_here: \forall integer s; 0 <= s <= t ==>
      @   att_t[s] == attn_score(q_t, k, head, C, hs, s);
      @*/
Scores:;
    float sum = attention_exp_sum(att_t, maxval, t, q_t, k, head, hs, C);
    /*@ assert sum_same: attn_sum_exp{Scores}(q_t, k, head, C, hs, maxval, t + 1) ==
      @   attn_sum_exp{Pre}(q_t, k, head, C, hs, maxval, t + 1);
      @*/
    /*@ assert exps: \forall integer s; 0 <= s <= t ==>
      @   att_t[s] == lnf_expf_nonpos(attn_score{Pre}(q_t, k, head, C, hs, s) - maxval);
      @*/
    if (sum < 1.0f) {
        sum = 1.0f; /* never taken: the max's own term is exp(0) = 1 */
    }
    //@ assert denominator: sum == attn_denominator{Pre}(q_t, k, head, C, hs, t);
    float inv_sum = 1.0f / sum;
    /*@ loop invariant 0 <= t2 <= T;
      @ loop invariant weights: \forall integer s; 0 <= s < t2 ==>
      @   att_t[s] == attn_weight{Pre}(q_t, k, head, C, hs, t, s);
      @ loop invariant exps: \forall integer s; t2 <= s <= t ==>
      @   att_t[s] == lnf_expf_nonpos(attn_score{Pre}(q_t, k, head, C, hs, s) - maxval);
      @ loop assigns t2, att_t[0 .. T-1];
      @ loop variant T - t2;
      @*/
    for (int t2 = 0; t2 < T; t2++) {
        /*@ assert weight: attn_weight{Pre}(q_t, k, head, C, hs, t, t2) ==
          @   (t2 <= t ? lnf_expf_nonpos(attn_score{Pre}(q_t, k, head, C, hs, t2) - maxval) * inv_sum
          @            : 0.0);
          @*/
        att_t[t2] = t2 <= t ? att_t[t2] * inv_sum : 0.0f;
    }
}



void attention_forward_head(float *out, float *att,
                            const float *q, const float *k, const float *v,
                            int T, int C, int NH, int h)
{
    attn_head hd = attn_head_of(C, NH, h);
    int hs = hd.hs, head = hd.head;
    float scale = 1.0f / sqrtf((float)hs);
    float *att_h = att + lnf_row_offset(h, NH, T * T); /* head h's [T, T] rows of att */
    lnf_stride_facts(T, C);
    lnf_stride_facts(T, T);
    /* the weights of every query row first, then the outputs: each loop
     * writes one array, so that its proof need not separate the two */
    /*@ loop invariant 0 <= t <= T;
      @ loop invariant weights: \forall integer r, s; 0 <= r < t && 0 <= s < T ==>
      @   att_h[r*T + s] == attn_row_weight{Pre}(q, k, head, C, hs, r, s);
      @ loop assigns t, att_h[0 .. T*T-1], errno;
      @ loop variant T - t;
      @*/
    for (int t = 0; t < T; t++) {
        int qo = lnf_row_offset(t, T, C) + head; /* query row t's channels of the head */
        int ao = lnf_row_offset(t, T, T);        /* its row of att_h */
        if (t > 0) {
            lnf_stride_facts(t, T);
        }
        /*@ assert rows_before: \forall integer r, s; 0 <= r < t && 0 <= s < T ==>
          @   0 <= r*T + s && r*T + s < ao;
          @*/
        /*@ assert rows_apart: \forall integer r, s; 0 <= r < t && 0 <= s < T ==>
          @   \separated(att_h + (r*T + s), att_h + (ao .. ao + T - 1));
          @*/
        const float *q_t = q + qo;
        //@ assert same_q_t: \forall integer i; 0 <= i < hs ==> q_t[i] == lnf_at{Pre}(q_t + i);
        //@ assert k_rows: (t + 1) * C <= T * C;
        //@ assert same_k_t: \forall integer x; 0 <= x < (t + 1) * C ==> k[x] == lnf_at{Pre}(k + x);
        //@ assert inputs: attn_same_inputs{Here, Pre}(q_t, k, head, C, hs, t + 1);
        attention_softmax_row(att_h + ao, q_t, k, head, hs, C, t, T, scale);
        /* row t in the invariant's shape */
        /*@ assert row_weights: \forall integer s; 0 <= s < T ==>
          @   att_h[ao + s] == attn_weight{Pre}(q_t, k, head, C, hs, t, s);
          @*/
        /*@ assert row_weights_t: \forall integer s; 0 <= s < T ==>
          @   att_h[ao + s] == attn_row_weight{Pre}(q, k, head, C, hs, t, s);
          @*/
        /*@ assert prev_weights: \forall integer r, s; 0 <= r < t && 0 <= s < T ==>
          @   att_h[r*T + s] == attn_row_weight{Pre}(q, k, head, C, hs, r, s);
          @*/
    }
Weights:;
    /*@ loop invariant 0 <= t <= T;
      @ loop invariant out: \forall integer r, c; 0 <= r < t && head <= c < head + hs ==>
      @   out[r*C + c] == attn_row_out{Pre}(q, k, v, head, C, hs, r, c);
      @ loop invariant kept: \forall integer x; 0 <= x < T*C &&
      @   (x % C < head || head + hs <= x % C) ==> out[x] == \at(out[x], Pre);
      @ loop assigns t, out[0 .. T*C-1];
      @ loop variant T - t;
      @*/
    for (int t = 0; t < T; t++) {
        int row = lnf_row_offset(t, T, C); /* t·C */
        int qo = row + head;
        int ao = lnf_row_offset(t, T, T);
        lnf_flat_row_facts(t, C);
        if (t > 0) {
            lnf_stride_facts(t, C);
        }
        /*@ assert cols_before: \forall integer r, c; 0 <= r < t && 0 <= c < C ==>
          @   0 <= r*C + c && r*C + c < row;
          @*/
        /*@ assert rows_apart: \forall integer r, c; 0 <= r < t && head <= c < head + hs ==>
          @   \separated(out + (r*C + c), out + (qo .. qo + hs - 1));
          @*/
        const float *q_t = q + qo;
        //@ assert same_q_t: \forall integer i; 0 <= i < hs ==> q_t[i] == lnf_at{Pre}(q_t + i);
        //@ assert kv_rows: (t + 1) * C <= T * C;
        //@ assert same_k_t: \forall integer x; 0 <= x < (t + 1) * C ==> k[x] == lnf_at{Pre}(k + x);
        //@ assert same_v_t: \forall integer x; 0 <= x < (t + 1) * C ==> v[x] == lnf_at{Pre}(v + x);
        //@ assert inputs: attn_same_inputs{Here, Pre}(q_t, k, head, C, hs, t + 1);
        //@ assert same_v: attn_same_values{Here, Pre}(v, t + 1, C);
        /*@ assert row_weights: \forall integer s; 0 <= s <= t ==>
          @   att_h[ao + s] == lnf_at{Weights}(att_h + (ao + s));
          @*/
        /*@ assert weights_row: \forall integer s; 0 <= s <= t ==>
          @   att_h[ao + s] == attn_row_weight{Pre}(q, k, head, C, hs, t, s);
          @*/
        /*@ assert weights_pre: \forall integer s; 0 <= s <= t ==>
          @   att_h[ao + s] == attn_weight{Pre}(q_t, k, head, C, hs, t, s);
          @*/
        /*@ assert weights_here: \forall integer s; 0 <= s <= t ==>
          @   att_h[ao + s] == attn_weight(q_t, k, head, C, hs, t, s);
          @*/
    Row:;
        attention_weighted_sum(out + qo, att_h + ao, v, q_t, k, head, hs, C, t, T);
        /*@ assert out_frame: \forall integer c; head <= c < head + hs ==>
          @   attn_out{Row}(q_t, k, v, head, C, hs, t, c) == attn_out{Pre}(q_t, k, v, head, C, hs, t, c);
          @*/
        /*@ assert row_out: \forall integer c; head <= c < head + hs ==>
          @   out[row + c] == attn_out{Pre}(q_t, k, v, head, C, hs, t, c);
          @*/
        /*@ assert row_out_t: \forall integer c; head <= c < head + hs ==>
          @   out[row + c] == attn_row_out{Pre}(q, k, v, head, C, hs, t, c);
          @*/
        /*@ assert prev_out: \forall integer r, c; 0 <= r < t && head <= c < head + hs ==>
          @   out[r*C + c] == attn_row_out{Pre}(q, k, v, head, C, hs, r, c);
          @*/
    }
    /*@ assert weights_kept: \forall integer r, s; 0 <= r < T && 0 <= s < T ==>
      @   att_h[r*T + s] == \at(att_h[r*T + s], Weights);
      @*/
}

/*@ // the backward's dv at flat index x of [T, C] in key row s (= x / C),
  @ // from the query rows s .. t−1 that see it (the head's weights att at
  @ // a0 = h·T·T): Σ_{r=s}^{t−1} att[a0 + r·T + s]·dout[x + (r − s)·C], in row
  @ // order. Here, not in the header: the contract names lnf_dot only.
  @ logic real attn_dv_terms{L}(float *att, float *dout, integer a0, integer T, integer C,
  @                             integer x, integer s, integer t) =
  @   t <= s ? 0.0 : lnf_dot_sum(att, a0 + s * T + s, T, dout, x, C, t - s);
  @
  @*/

/* Query row t's term is the next of attn_dv_terms, for every key row s <= t:
 * a lemma stated as a function, so that only its caller's goals carry it. */
/*@ assigns \nothing;
  @ ensures next: \forall integer x, s, t; 0 <= s <= t ==>
  @   attn_dv_terms(att, dout, a0, T, C, x, s, t + 1) ==
  @   attn_dv_terms(att, dout, a0, T, C, x, s, t) +
  @   attn_mul(att[a0 + t * T + s], dout[x + (t - s) * C]);
  @*/
static void attn_dv_terms_next(const float *att, const float *dout, int a0, int T, int C)
{
    (void)att; /* bound the contract only */
    (void)dout;
    (void)a0;
    (void)T;
    (void)C;
    /*@ assert first: \forall integer x, s;
      @   attn_dv_terms(att, dout, a0, T, C, x, s, s + 1) ==
      @   lnf_dot_sum(att, a0 + s * T + s, T, dout, x, C, 0) + att[a0 + s * T + s] * dout[x];
      @*/
    /*@ assert first_term: \forall integer x, s;
      @   attn_dv_terms(att, dout, a0, T, C, x, s, s + 1) == att[a0 + s * T + s] * dout[x];
      @*/
    //@ assert empty: \forall integer x, s; attn_dv_terms(att, dout, a0, T, C, x, s, s) == 0.0;
    /*@ assert first_at: \forall integer x, t;
      @   attn_dv_terms(att, dout, a0, T, C, x, t, t + 1) ==
      @   attn_dv_terms(att, dout, a0, T, C, x, t, t) + att[a0 + t * T + t] * dout[x + (t - t) * C];
      @*/
    /*@ assert later: \forall integer x, s, t; s < t ==>
      @   attn_dv_terms(att, dout, a0, T, C, x, s, t + 1) ==
      @   attn_dv_terms(att, dout, a0, T, C, x, s, t) +
      @   att[(a0 + s * T + s) + (t - s) * T] * dout[x + (t - s) * C];
      @*/
    /*@ assert index: \forall integer s, t; (a0 + s * T + s) + (t - s) * T == a0 + t * T + s; */
    /*@ assert later_at: \forall integer x, s, t; s < t ==>
      @   attn_dv_terms(att, dout, a0, T, C, x, s, t + 1) ==
      @   attn_dv_terms(att, dout, a0, T, C, x, s, t) + att[a0 + t * T + s] * dout[x + (t - s) * C];
      @*/
}

/* dv[o2 + j] += a·dout_row[j] for j < hs: one key row's share of one query
 * row (stated over dv's own indices, as the callers' facts are). */
/*@ requires size: 0 < hs && 0 <= o2 && lnf_fits_int(o2 + hs);
  @ requires valid: \valid(dv + (o2 .. o2+hs-1)) && \valid_read(dout_row + (0 .. hs-1));
  @ requires separated: \separated(dv + (o2 .. o2+hs-1), dout_row + (0 .. hs-1));
  @ assigns dv[o2 .. o2+hs-1];
  @ ensures added: \forall integer x; o2 <= x < o2 + hs ==>
  @   dv[x] == \old(dv[x]) + attn_mul(a, \old(dout_row[x - o2]));
  @*/
static void dv_add_row(float *dv, int o2, float a, const float *dout_row, int hs)
{
    /*@ loop invariant 0 <= i <= hs;
      @ loop invariant done: \forall integer x; o2 <= x < o2 + i ==>
      @   dv[x] == \at(dv[x], Pre) + attn_mul(a, \at(dout_row[x - o2], Pre));
      @ loop invariant todo: \forall integer x; o2 + i <= x < o2 + hs ==> dv[x] == \at(dv[x], Pre);
      @ loop assigns i, dv[o2 .. o2+hs-1];
      @ loop variant hs - i;
      @*/
    for (int i = 0; i < hs; i++) {
        dv[o2 + i] += a * dout_row[i];
    }
}

/* dv[t2] += att[att_row + t2]·dout[q0 ..] for every key row t2 <= t of the
 * head's channels [head, head + hs): query row t's share of dv (att_row and
 * q0 = t·C + head: query row t's weights and gradient). */
/*@ requires sizes: 0 <= t < T && 0 < hs && 0 <= head && head + hs <= C && lnf_fits_int(T * C);
  @ requires rows: q0 == t * C + head && 0 <= att_row && lnf_fits_int(att_row + t + 1);
  @ requires valid: \valid(dv + (0 .. T*C-1)) && \valid_read(dout + (q0 .. q0+hs-1)) &&
  @                 \valid_read(att + (att_row .. att_row+t));
  @ requires separated: \separated(dv + (0 .. T*C-1), dout + (q0 .. q0+hs-1),
  @                                att + (att_row .. att_row+t));
  @ assigns dv[0 .. T*C-1];
  @ ensures added: \forall integer x; 0 <= x < T*C && x / C <= t && head <= x % C < head + hs ==>
  @   dv[x] == \old(dv[x]) + attn_mul(\old(att[att_row + x / C]), \old(dout[x + (t - x / C) * C]));
  @ ensures kept: \forall integer x; 0 <= x < T*C && (t < x / C || x % C < head || head + hs <= x % C) ==>
  @   dv[x] == \old(dv[x]);
  @*/
static void dv_add_query(float *dv, const float *att, int att_row, const float *dout, int q0,
                         int t, int head, int hs, int T, int C)
{
    lnf_flat_bounds(T, C);
    /*@ loop invariant 0 <= t2 <= t + 1;
      @ loop invariant done: \forall integer x; 0 <= x < T*C && x / C < t2 &&
      @   head <= x % C < head + hs ==>
      @   dv[x] == \at(dv[x], Pre) +
      @            attn_mul(\at(att[att_row + x / C], Pre), \at(dout[x + (t - x / C) * C], Pre));
      @ loop invariant todo: \forall integer x; 0 <= x < T*C &&
      @   (t2 <= x / C || x % C < head || head + hs <= x % C) ==> dv[x] == \at(dv[x], Pre);
      @ loop assigns t2, dv[0 .. T*C-1];
      @ loop variant t - t2;
      @*/
    for (int t2 = 0; t2 <= t; t2++) {
        int o2 = key_offset(t2, head, hs, T, C);
    Row:
        dv_add_row(dv, o2, att[att_row + t2], dout + q0, hs);
        lnf_flat_row_facts(t2, C);
        lnf_flat_row_iff(t2, C, T * C);
        /*@ assert in_row: \forall integer x; o2 <= x < o2 + hs ==>
          @   x / C == t2 && q0 + (x - o2) == x + (t - x / C) * C;
          @*/
        /*@ assert row_values: \forall integer x; o2 <= x < o2 + hs ==>
          @   dv[x] == \at(dv[x], Row) + attn_mul(lnf_at{Pre}(att + (att_row + t2)),
          @                                          lnf_at{Pre}(dout + (q0 + (x - o2))));
          @*/
        /*@ assert others_same: \forall integer x; 0 <= x < T*C && (x < o2 || o2 + hs <= x) ==>
          @   dv[x] == \at(dv[x], Row);
          @*/
        /*@ assert row_cells: \forall integer x; 0 <= x < T*C && x / C == t2 &&
          @   head <= x % C < head + hs ==> o2 <= x < o2 + hs;
          @*/
        /*@ assert other_rows: \forall integer x; 0 <= x < T*C && x / C != t2 ==>
          @   x < o2 || o2 + hs <= x;
          @*/
    }
}

/* Where query row t's terms of dv lie, for every cell x of [T, C] in a key
 * row x / C <= t: its weight in att's row [att_row, att_row + T) below
 * att_end, its gradient in dout's row t. In a context of its own: the flat
 * index facts would slow the caller's goals. */
/*@ requires sizes: 0 <= t < T && 0 < C && lnf_fits_int(T * C);
  @ requires rows: 0 <= att_row && att_row + T <= att_end;
  @ assigns \nothing;
  @ ensures ranges: \forall integer x; 0 <= x < T*C && x / C <= t ==>
  @   0 <= att_row + x / C < att_end && 0 <= x + (t - x / C) * C < T*C;
  @*/
static void dv_index_facts(int t, int T, int C, int att_row, int att_end)
{
    (void)t; /* bound the contract only */
    (void)att_row;
    (void)att_end;
    lnf_flat_bounds(T, C);
    lnf_flat_row_iff(0, C, T * C);
    lnf_stride_facts(T, C);
}

/* dv[s][c] += Σ_{t=s}^{T−1} att[h][t][s]·dout[t][c] over head h's channels:
 * the value gradient, query row t after query row t as the fused loop added
 * it (the same sums, bit for bit). A pass of its own, before dq and dk: its
 * proof needs the inputs as on entry and none of their facts. */
/*@ requires sizes: 0 < T && 0 < NH && 0 < C && C % NH == 0 &&
  @                 lnf_fits_int(T * C) && lnf_fits_int(NH * T * T);
  @ requires head: 0 <= h < NH;
  @ requires valid: lnf_writable(dv, T*C) && lnf_readable(dout, T*C) && lnf_readable(att, NH*T*T);
  @ requires separated: \separated(dv + (0 .. T*C-1), dout + (0 .. T*C-1), att + (0 .. NH*T*T-1));
  @ assigns dv[0 .. T*C-1];
  @ ensures dv: \forall integer x; 0 <= x < T*C && h*(C/NH) <= x % C < (h+1)*(C/NH) ==>
  @   dv[x] == \old(dv[x]) + lnf_dot{Pre}(att, h*T*T + (x/C)*T + x/C, T, dout, x, C, T - x/C);
  @ ensures dv_kept: \forall integer x; 0 <= x < T*C &&
  @   (x % C < h*(C/NH) || (h+1)*(C/NH) <= x % C) ==> dv[x] == \old(dv[x]);
  @*/
static void dv_accumulate(float *dv, const float *dout, const float *att,
                          int T, int C, int NH, int h)
{
    attn_dv_terms_next(att, dout, lnf_row_offset(h, NH, T * T), T, C);
    attn_head hd = attn_head_of(C, NH, h);
    int hs = hd.hs, head = hd.head;
    //@ assert head_end: head + hs == (h + 1) * (C / NH);
    int att_len = NH * T * T; /* att's [NH, T, T] */
    /*@ loop invariant 0 <= t <= T;
      @ loop invariant dv_rows: \forall integer x; 0 <= x < T*C && head <= x % C < head + hs ==>
      @   dv[x] == \at(dv[x], Pre) + attn_dv_terms{Pre}(att, dout, h*T*T, T, C, x, x / C, t);
      @ loop invariant dv_kept: \forall integer x; 0 <= x < T*C &&
      @   (x % C < head || head + hs <= x % C) ==> dv[x] == \at(dv[x], Pre);
      @ loop assigns t, dv[0 .. T*C-1];
      @ loop variant T - t;
      @*/
    for (int t = 0; t < T; t++) {
        attn_index ix = attn_index_of(t, h, head, T, C, NH, hs);
        //@ assert att_row_fits: ix.att_row + T <= att_len;
        //@ assert att_entry: \forall integer k; 0 <= k < NH*T*T ==> att[k] == lnf_at{Pre}(att + k);
        //@ assert dout_entry: \forall integer k; 0 <= k < T*C ==> dout[k] == lnf_at{Pre}(dout + k);
        /*@ assert dv_before: \forall integer x; 0 <= x < T*C && head <= x % C < head + hs ==>
          @   dv[x] == \at(dv[x], Pre) + attn_dv_terms{Pre}(att, dout, h*T*T, T, C, x, x / C, t);
          @*/
    Dv:
        dv_add_query(dv, att, ix.att_row, dout, ix.query, t, head, hs, T, C);
        dv_index_facts(t, T, C, ix.att_row, att_len);
        /*@ assert dv_called: \forall integer x; 0 <= x < T*C && x / C <= t &&
          @   head <= x % C < head + hs ==>
          @   dv[x] == \at(dv[x], Dv) + attn_mul(\at(att[ix.att_row + x / C], Dv),
          @                                         \at(dout[x + (t - x / C) * C], Dv));
          @*/
        /*@ assert dv_weight: \forall integer x; 0 <= x < T*C && x / C <= t ==>
          @   \at(att[ix.att_row + x / C], Dv) == lnf_at{Pre}(att + (h*T*T + t*T + x / C));
          @*/
        /*@ assert dv_grad: \forall integer x; 0 <= x < T*C && x / C <= t ==>
          @   \at(dout[x + (t - x / C) * C], Dv) == lnf_at{Pre}(dout + (x + (t - x / C) * C));
          @*/
        /*@ assert dv_added: \forall integer x; 0 <= x < T*C && x / C <= t &&
          @   head <= x % C < head + hs ==>
          @   dv[x] == \at(dv[x], Dv) + attn_mul(lnf_at{Pre}(att + (h*T*T + t*T + x / C)),
          @                                         lnf_at{Pre}(dout + (x + (t - x / C) * C)));
          @*/
        /*@ assert dv_later: \forall integer x; 0 <= x < T*C && t < x / C &&
          @   head <= x % C < head + hs ==> dv[x] == \at(dv[x], Dv) &&
          @   attn_dv_terms{Pre}(att, dout, h*T*T, T, C, x, x / C, t + 1) ==
          @   attn_dv_terms{Pre}(att, dout, h*T*T, T, C, x, x / C, t);
          @*/
        /*@ assert dv_step: \forall integer x; 0 <= x < T*C && x / C <= t &&
          @   head <= x % C < head + hs ==>
          @   attn_dv_terms{Pre}(att, dout, h*T*T, T, C, x, x / C, t + 1) ==
          @   attn_dv_terms{Pre}(att, dout, h*T*T, T, C, x, x / C, t) +
          @   attn_mul(lnf_at{Pre}(att + (h*T*T + t*T + x / C)),
          @               lnf_at{Pre}(dout + (x + (t - x / C) * C)));
          @*/
    }
    lnf_flat_bounds(T, C); /* every key row x / C below T */
}

/* Query row t's share of the softmax backward into dq and dk: datt[s] =
 * dout_t·v_s for keys s <= t (into datt), dscore(s) = att_t[s]·(datt[s] −
 * Σ att_t·datt)/√hs, then dq_t += Σ_s dscore(s)·k_s and dk_s += dscore(s)·q_t
 * key after key. att_t holds row t's weights, dout_t and q_t point at row
 * t's head channels, dq at the entry's [T, C] gradient whose cells q0 ..
 * q0+hs-1 are row t's head channels (stated over dq's own indices, as the
 * caller's facts are), k and v at the entry's [T, C] arrays. */
/*@ requires sizes: 0 <= t < T && 0 < hs && 0 <= head && head + hs <= C && lnf_fits_int(T * C);
  @ requires rows: \forall integer s; 0 <= s < T ==> 0 <= s * C && s * C + C <= T * C;
  @ requires scale: scale == 1.0 / \sqrt(hs);
  @ requires row: 0 <= q0 && lnf_fits_int(q0 + hs);
  @ requires valid: \valid(dq + (q0 .. q0+hs-1)) && lnf_writable(dk, T*C) &&
  @                 \valid(datt + (0 .. T-1)) && \valid_read(att_t + (0 .. t)) &&
  @                 \valid_read(dout_t + (0 .. hs-1)) && \valid_read(q_t + (0 .. hs-1)) &&
  @                 lnf_readable(k, T*C) && lnf_readable(v, T*C);
  @ requires separated: \separated(dq + (q0 .. q0+hs-1), dk + (0 .. T*C-1), datt + (0 .. T-1),
  @                                att_t + (0 .. t), dout_t + (0 .. hs-1), q_t + (0 .. hs-1),
  @                                k + (0 .. T*C-1), v + (0 .. T*C-1));
  @ assigns dq[q0 .. q0+hs-1], dk[0 .. T*C-1], datt[0 .. t];
  @ ensures dq: \forall integer x; q0 <= x < q0 + hs ==>
  @   dq[x] == \old(dq[x]) +
  @            attn_dq_terms{Pre}(att_t, dout_t, v, k, head, C, hs, scale, t, head + (x - q0), t + 1);
  @*/
static void attention_backward_row(float *dq, int q0, float *dk, float *datt, const float *att_t,
                                   const float *dout_t, const float *q_t, const float *k,
                                   const float *v, int head, int hs, int C, int t, int T,
                                   float scale)
{
    /*@ assert key_index: \forall integer s, i; 0 <= s <= t && 0 <= i < hs ==>
      @   0 <= s * C + head + i < T * C;
      @*/
    /* datt[t2] = dout_t · v[t2] */
    /*@ loop invariant 0 <= t2 <= t + 1;
      @ loop invariant datt: \forall integer s; 0 <= s < t2 ==>
      @   datt[s] == attn_datt{Pre}(dout_t, v, head, C, hs, s);
      @ loop assigns t2, datt[0 .. t];
      @ loop variant t - t2;
      @*/
    for (int t2 = 0; t2 <= t; t2++) {
        //@ assert same_dout: \forall integer i; 0 <= i < hs ==> dout_t[i] == lnf_at{Pre}(dout_t + i);
        //@ assert same_v: \forall integer x; 0 <= x < (t + 1) * C ==> v[x] == lnf_at{Pre}(v + x);
        //@ assert inputs: attn_same_inputs{Here, Pre}(dout_t, v, head, C, hs, t + 1);
        datt[t2] = dot(dout_t, v + key_offset(t2, head, hs, T, C), hs);
        //@ assert datt_pre: datt[t2] == attn_datt{Pre}(dout_t, v, head, C, hs, t2);
    }
    /* softmax backward: dscore[t2] = att[t2]·(datt[t2] − Σ att·datt) */
    float att_dot_datt = 0.0f;
    /* for EVA, as dot's lanes: terms ≤ 1.6e17 round back at ±1e25 */
    /*@ widen_hints att_dot_datt, -1e25, 1e25; */
    /*@ loop invariant 0 <= t2 <= t + 1;
      @ loop invariant sum: att_dot_datt == attn_att_datt{Pre}(att_t, dout_t, v, head, C, hs, t2);
      @ loop assigns t2, att_dot_datt;
      @ loop variant t - t2;
      @*/
    for (int t2 = 0; t2 <= t; t2++) {
        //@ assert same_att: att_t[t2] == lnf_at{Pre}(att_t + t2);
        //@ assert datt_t2: datt[t2] == attn_datt{Pre}(dout_t, v, head, C, hs, t2);
        /*@ assert next_term: attn_att_datt{Pre}(att_t, dout_t, v, head, C, hs, t2 + 1) ==
          @   attn_att_datt{Pre}(att_t, dout_t, v, head, C, hs, t2) +
          @   attn_mul(lnf_at{Pre}(att_t + t2), attn_datt{Pre}(dout_t, v, head, C, hs, t2));
          @*/
        /*@ assert term: att_t[t2] * datt[t2] ==
          @   attn_mul(lnf_at{Pre}(att_t + t2), attn_datt{Pre}(dout_t, v, head, C, hs, t2));
          @*/
        att_dot_datt += att_t[t2] * datt[t2];
    }
    /*@ assert datt_all: \forall integer s; 0 <= s <= t ==>
      @   datt[s] == attn_datt{Pre}(dout_t, v, head, C, hs, s);
      @*/
    /*@ loop invariant 0 <= t2 <= t + 1;
      @ loop invariant dq: \forall integer x; q0 <= x < q0 + hs ==>
      @   dq[x] == \at(dq[x], Pre) +
      @            attn_dq_terms{Pre}(att_t, dout_t, v, k, head, C, hs, scale, t, head + (x - q0), t2);
      @ loop assigns t2, dq[q0 .. q0+hs-1], dk[0 .. T*C-1];
      @ loop variant t - t2;
      @*/
    for (int t2 = 0; t2 <= t; t2++) {
        int o2 = key_offset(t2, head, hs, T, C);
        const float *k_t2 = k + o2;
        float *dk_t2 = dk + o2;
        //@ assert same_att: att_t[t2] == lnf_at{Pre}(att_t + t2);
        //@ assert datt_t2: datt[t2] == attn_datt{Pre}(dout_t, v, head, C, hs, t2);
        //@ assert sum: att_dot_datt == attn_att_datt{Pre}(att_t, dout_t, v, head, C, hs, t + 1);
        float dscore = att_t[t2] * (datt[t2] - att_dot_datt) * scale;
        //@ assert dscore_mul: dscore == attn_mul(attn_mul(att_t[t2], datt[t2] - att_dot_datt), scale);
        /*@ assert dscore_def: attn_dscore{Pre}(att_t, dout_t, v, head, C, hs, scale, t, t2) ==
          @   attn_mul(attn_mul(lnf_at{Pre}(att_t + t2),
          @                     attn_datt{Pre}(dout_t, v, head, C, hs, t2) -
          @                     attn_att_datt{Pre}(att_t, dout_t, v, head, C, hs, t + 1)),
          @            scale);
          @*/
        //@ assert dscore: dscore == attn_dscore{Pre}(att_t, dout_t, v, head, C, hs, scale, t, t2);
        /* cell x of dq is channel x − q0 of the head (a loop over dq's own
         * index, so that the cell just written is the invariant's cell) */
        /*@ loop invariant q0 <= x <= q0 + hs;
          @ loop invariant done: \forall integer y; q0 <= y < x ==>
          @   dq[y] == \at(dq[y], Pre) +
          @            attn_dq_terms{Pre}(att_t, dout_t, v, k, head, C, hs, scale, t, head + (y - q0), t2 + 1);
          @ loop invariant todo: \forall integer y; x <= y < q0 + hs ==>
          @   dq[y] == \at(dq[y], Pre) +
          @            attn_dq_terms{Pre}(att_t, dout_t, v, k, head, C, hs, scale, t, head + (y - q0), t2);
          @ loop assigns x, dq[q0 .. q0+hs-1], dk_t2[0 .. hs-1];
          @ loop variant q0 + hs - x;
          @*/
        for (int x = q0; x < q0 + hs; x++) {
            int i = x - q0;
            /* for EVA, whose intervals do not relate i to x */
            //@ assert channel: 0 <= i < hs;
            /*@ assert next_term:
              @   attn_dq_terms{Pre}(att_t, dout_t, v, k, head, C, hs, scale, t, head + i, t2 + 1) ==
              @   attn_dq_terms{Pre}(att_t, dout_t, v, k, head, C, hs, scale, t, head + i, t2) +
              @   attn_mul(attn_dscore{Pre}(att_t, dout_t, v, head, C, hs, scale, t, t2),
              @            lnf_at{Pre}(k + (t2 * C + (head + i))));
              @*/
            //@ assert same_term: k_t2[i] == lnf_at{Pre}(k + (t2 * C + (head + i)));
            /*@ assert term: dscore * k_t2[i] ==
              @   attn_mul(attn_dscore{Pre}(att_t, dout_t, v, head, C, hs, scale, t, t2),
              @            lnf_at{Pre}(k + (t2 * C + (head + i))));
              @*/
            dq[x] += dscore * k_t2[i];
            dk_t2[i] += dscore * q_t[i];
            /*@ assert other_cells: \forall integer y; q0 <= y < q0 + hs && y != x ==>
              @   dq[y] == \at(dq[y], LoopCurrent);
              @*/
        }
    }
}

/* Row t's dq as the contract names it (attn_row_dq, by the cell's column
 * x % C) is the sum attention_backward_row adds (by the cell's offset in the
 * row's head channels): a lemma stated as a function, in a context of its own. */
/*@ requires sizes: 0 <= t < T && 0 < hs && 0 <= head && head + hs <= C && 0 < C;
  @ requires rows: q0 == t * C + head && ao == t * T;
  @ requires scale: scale == 1.0 / \sqrt(hs);
  @ assigns \nothing;
  @ ensures row_dq: \forall integer x; q0 <= x < q0 + hs ==>
  @   attn_row_dq(att_h, dout, v, k, head, C, hs, T, t, x % C) ==
  @   attn_dq_terms(att_h + ao, dout + q0, v, k, head, C, hs, scale, t, head + (x - q0), t + 1);
  @*/
static void attn_row_dq_is(const float *att_h, const float *dout, const float *v,
                           const float *k, int head, int hs, int C, int T, int t, int q0,
                           int ao, float scale)
{
    (void)att_h; /* bound the contract only */
    (void)dout;
    (void)v;
    (void)k;
    (void)head;
    (void)hs;
    (void)ao;
    (void)scale;
    (void)q0;
    (void)T;
    lnf_flat_row_facts(t, C);
    //@ assert column: \forall integer x; q0 <= x < q0 + hs ==> head + (x - q0) == x % C;
}

/* dq[t][c] += Σ_{s≤t} dscore(t, s)·k[s][c] over head h's channels, and dk
 * (memory only), query row after query row. att_h = the head's weights. */
/*@ requires sizes: 0 < T && 0 < NH && 0 < C && C % NH == 0 &&
  @                 lnf_fits_int(T * C) && lnf_fits_int(NH * T * T);
  @ requires head: 0 <= h < NH;
  @ requires valid: lnf_writable(dq, T*C) && lnf_writable(dk, T*C) && lnf_writable(scratch, T) &&
  @                 lnf_readable(dout, T*C) && lnf_readable(att, NH*T*T) &&
  @                 lnf_readable(q, T*C) && lnf_readable(k, T*C) && lnf_readable(v, T*C);
  @ requires separated: \separated(dq + (0 .. T*C-1), dk + (0 .. T*C-1), scratch + (0 .. T-1),
  @                     dout + (0 .. T*C-1), att + (0 .. NH*T*T-1),
  @                     q + (0 .. T*C-1), k + (0 .. T*C-1), v + (0 .. T*C-1));
  @ assigns dq[0 .. T*C-1], dk[0 .. T*C-1], scratch[0 .. T-1];
  @ ensures dq: \forall integer x; 0 <= x < T*C && h*(C/NH) <= x % C < (h+1)*(C/NH) ==>
  @   dq[x] == \old(dq[x]) + attn_row_dq{Pre}(att + h*T*T, dout, v, k, h*(C/NH), C, C/NH, T,
  @                                           x / C, x % C);
  @ ensures dq_kept: \forall integer x; 0 <= x < T*C &&
  @   (x % C < h*(C/NH) || (h+1)*(C/NH) <= x % C) ==> dq[x] == \old(dq[x]);
  @*/
static void dq_accumulate(float *dq, float *dk, float *scratch, const float *dout,
                          const float *att, const float *q, const float *k, const float *v,
                          int T, int C, int NH, int h)
{
    attn_head hd = attn_head_of(C, NH, h);
    int hs = hd.hs, head = hd.head;
    float scale = 1.0f / sqrtf((float)hs);
    int a0 = lnf_row_offset(h, NH, T * T); /* head h's [T, T] rows of att */
    const float *att_h = att + a0;
    //@ assert att_h: att_h == att + h*T*T;
    lnf_stride_facts(T, C);
    lnf_flat_bounds(T, C);
    /*@ loop invariant 0 <= t <= T;
      @ loop invariant dq_rows: \forall integer x; 0 <= x < T*C && x / C < t &&
      @   head <= x % C < head + hs ==>
      @   dq[x] == \at(dq[x], Pre) + attn_row_dq{Pre}(att_h, dout, v, k, head, C, hs, T, x / C, x % C);
      @ loop invariant dq_todo: \forall integer x; 0 <= x < T*C &&
      @   (t <= x / C || x % C < head || head + hs <= x % C) ==> dq[x] == \at(dq[x], Pre);
      @ loop assigns t, dq[0 .. T*C-1], dk[0 .. T*C-1], scratch[0 .. T-1];
      @ loop variant T - t;
      @*/
    for (int t = 0; t < T; t++) {
        int q0 = lnf_row_offset(t, T, C) + head; /* query row t's channels of the head */
        int ao = lnf_row_offset(t, T, T);        /* its row of att_h */
        lnf_flat_row_facts(t, C);
        lnf_flat_row_iff(t, C, T * C);
        attn_row_dq_is(att_h, dout, v, k, head, hs, C, T, t, q0, ao, scale);
    Row:
        attention_backward_row(dq, q0, dk, scratch, att_h + ao, dout + q0, q + q0, k, v,
                               head, hs, C, t, T, scale);
        /*@ assert row_result: \forall integer x; q0 <= x < q0 + hs ==>
          @   dq[x] == \at(dq[x], Row) +
          @   attn_dq_terms{Row}(att_h + ao, dout + q0, v, k, head, C, hs, scale, t, head + (x - q0), t + 1);
          @*/
        /*@ assert row_dq_here: \forall integer x; q0 <= x < q0 + hs ==>
          @   dq[x] == \at(dq[x], Row) + attn_row_dq{Row}(att_h, dout, v, k, head, C, hs, T, t, x % C);
          @*/
        //@ assert same_att: \forall integer y; 0 <= y < T*T ==> \at(att_h[y], Row) == lnf_at{Pre}(att_h + y);
        /*@ assert same_inputs: \forall integer y; 0 <= y < T*C ==>
          @   \at(dout[y], Row) == lnf_at{Pre}(dout + y) && \at(v[y], Row) == lnf_at{Pre}(v + y) &&
          @   \at(k[y], Row) == lnf_at{Pre}(k + y);
          @*/
        /*@ assert row_dq: \forall integer x; q0 <= x < q0 + hs ==>
          @   dq[x] == \at(dq[x], Row) + attn_row_dq{Pre}(att_h, dout, v, k, head, C, hs, T, x / C, x % C);
          @*/
        /*@ assert row_cells: \forall integer x; 0 <= x < T*C && x / C == t &&
          @   head <= x % C < head + hs ==> q0 <= x < q0 + hs;
          @*/
        /*@ assert others_same: \forall integer x; 0 <= x < T*C && (x < q0 || q0 + hs <= x) ==>
          @   dq[x] == \at(dq[x], Row);
          @*/
    }
}

void attention_backward_head(float *dq, float *dk, float *dv, float *scratch,
                             const float *dout, const float *att,
                             const float *q, const float *k, const float *v,
                             int T, int C, int NH, int h)
{
    dv_accumulate(dv, dout, att, T, C, NH, h); /* first: on the inputs as on entry */
    /* the facts the frame of dq's contract needs: the head's channels and
     * rows of att, and each flat index's row and column */
    attn_head hd = attn_head_of(C, NH, h);
    (void)hd;
    //@ assert head_end: hd.head + hd.hs == (h + 1) * (C / NH);
    int a0 = lnf_row_offset(h, NH, T * T);
    (void)a0;
    lnf_flat_bounds(T, C);
    //@ assert att_h: a0 == h*T*T;
    //@ assert same_att: \forall integer y; 0 <= y < T*T ==> att[a0 + y] == lnf_at{Pre}(att + (a0 + y));
    /*@ assert same_att_h: \forall integer y; 0 <= y < T*T ==>
      @   (att + h*T*T)[y] == \at((att + h*T*T)[y], Pre);
      @*/
    /*@ assert same_inputs: \forall integer y; 0 <= y < T*C ==>
      @   dout[y] == \at(dout[y], Pre) && v[y] == \at(v[y], Pre) && k[y] == \at(k[y], Pre);
      @*/
Dq:
    dq_accumulate(dq, dk, scratch, dout, att, q, k, v, T, C, NH, h);
    /*@ assert dq_frame: \forall integer x; 0 <= x < T*C ==>
      @   attn_row_dq{Dq}(att + h*T*T, dout, v, k, h*(C/NH), C, C/NH, T, x / C, x % C) ==
      @   attn_row_dq{Pre}(att + h*T*T, dout, v, k, h*(C/NH), C, C/NH, T, x / C, x % C);
      @*/
}

#pragma GCC diagnostic pop

void attention_forward(float *out, float *att,
                       const float *q, const float *k, const float *v,
                       int B, int T, int C, int NH)
{
    //@ assert entry_fits: T * C <= B * T * C && NH * T * T <= B * NH * T * T;
    const int TC = T * C, NHTT = NH * T * T;
    /*@ loop invariant 0 <= b <= B;
      @ loop assigns b, out[0 .. B*T*C-1], att[0 .. B*NH*T*T-1], errno;
      @ loop variant B - b;
      @*/
    for (int b = 0; b < B; b++) {
        int x = lnf_row_offset(b, B, TC);   /* entry b of q, k, v, out */
        int a = lnf_row_offset(b, B, NHTT); /* entry b of att */
        /*@ loop invariant 0 <= h <= NH;
          @ loop assigns h, out[0 .. B*T*C-1], att[0 .. B*NH*T*T-1], errno;
          @ loop variant NH - h;
          @*/
        for (int h = 0; h < NH; h++) {
            attention_forward_head(out + x, att + a, q + x, k + x, v + x, T, C, NH, h);
        }
    }
}

void attention_backward(float *dq, float *dk, float *dv, float *scratch,
                        const float *dout, const float *att,
                        const float *q, const float *k, const float *v,
                        int B, int T, int C, int NH)
{
    //@ assert entry_fits: T * C <= B * T * C && NH * T * T <= B * NH * T * T;
    const int TC = T * C, NHTT = NH * T * T;
    /*@ loop invariant 0 <= b <= B;
      @ loop assigns b, dq[0 .. B*T*C-1], dk[0 .. B*T*C-1], dv[0 .. B*T*C-1], scratch[0 .. T-1];
      @ loop variant B - b;
      @*/
    for (int b = 0; b < B; b++) {
        int x = lnf_row_offset(b, B, TC);
        int a = lnf_row_offset(b, B, NHTT);
        /*@ loop invariant 0 <= h <= NH;
          @ loop assigns h, dq[0 .. B*T*C-1], dk[0 .. B*T*C-1], dv[0 .. B*T*C-1],
          @              scratch[0 .. T-1];
          @ loop variant NH - h;
          @*/
        for (int h = 0; h < NH; h++) {
            attention_backward_head(dq + x, dk + x, dv + x, scratch, dout + x, att + a, q + x,
                                    k + x, v + x, T, C, NH, h);
        }
    }
}
