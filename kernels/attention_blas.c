/* attention_blas: the head functions of attention.h in row blocks of
 * ATT_BLOCK queries through CBLAS sgemm, or the reference loops of
 * attention.c when the library is built without a BLAS (LNFREE_BLAS=none).
 * Each call runs on the calling thread (parallel.c calls them inside its
 * parallel region), so the blocks and the results depend on the sizes only. */
#include "kernels/attention.h"
#include "kernels/index.h"
#include "kernels/vecmath.h"

#ifdef LNFREE_HAVE_CBLAS
#include "kernels/row_max_spec.h" /* softmax_max, for softmax_row's contract */
#ifdef LNFREE_CBLAS_NETLIB
#include <cblas-netlib.h>
#else
#include <cblas.h>
#endif

/*@ // Σ_{s<n} exp(x[s] − m) in index order, over the reals: softmax_row's
  @ // denominator before its clamp
  @ logic real blas_row_sum_exp{L}(float *x, real m, integer n) =
  @   n <= 0 ? 0.0 : blas_row_sum_exp(x, m, n - 1) + lnf_expf_nonpos(x[n - 1] - m);
  @ // the denominator as softmax_row takes it: the sum, at least 1 (the max's
  @ // own term is e⁰ = 1, so the clamp never fires; stated, not proved)
  @ logic real blas_row_denominator{L}(float *x, real m, integer n) =
  @   blas_row_sum_exp(x, m, n) < 1.0 ? 1.0 : blas_row_sum_exp(x, m, n);
  @ // key s of row t after softmax_row: exp(x[s] − m)·inv up to t, 0 past it
  @ // (one function for both: WP mistypes a float store it reduces to 0)
  @ logic real blas_row_weight{L}(float *x, real m, real inv, integer t, integer s) =
  @   s <= t ? lnf_expf_nonpos(x[s] - m) * inv : 0.0;
  @*/

/* Row t of a head's scores (keys 0 .. t hold scores) into softmax
 * probabilities, with the row max subtracted before exp as the reference
 * does; keys t+1 .. T−1 become 0. */
/*@ requires size: 0 <= t < T;
  @ requires valid: \valid(row + (0 .. T-1));
  @ assigns row[0 .. T-1], errno;
  @ ensures probs: \forall integer s; 0 <= s < T ==>
  @   row[s] == blas_row_weight{Pre}(row, softmax_max{Pre}(row, t + 1),
  @               1.0 / blas_row_denominator{Pre}(row, softmax_max{Pre}(row, t + 1), t + 1), t, s);
  @*/
static void softmax_row(float *row, int t, int T)
{
    float maxval = 0.0f;
    //@ ghost int at = 0;
    /*@ loop invariant 0 <= t2 <= t + 1;
      @ loop invariant upper: \forall integer s; 0 <= s < t2 ==> row[s] <= maxval;
      @ loop invariant attained: 0 < t2 ==> 0 <= at < t2 && maxval == row[at];
      @ loop assigns t2, maxval, at;
      @ loop variant t - t2;
      @*/
    for (int t2 = 0; t2 <= t; t2++) {
        if (t2 == 0 || row[t2] > maxval) {
            maxval = row[t2];
            //@ ghost at = t2;
        }
    }
    /*@ assert below_max: maxval <= softmax_max(row, t + 1); */
    /*@ assert above_max: softmax_max(row, t + 1) <= maxval; */
    float sum = 0.0f;
    /*@ loop invariant 0 <= t2 <= t + 1;
      @ loop invariant exps: \forall integer s; 0 <= s < t2 ==>
      @   row[s] == lnf_expf_nonpos(\at(row[s], Pre) - maxval);
      @ loop invariant todo: \forall integer s; t2 <= s < T ==> row[s] == \at(row[s], Pre);
      @ loop invariant sum: sum == blas_row_sum_exp{Pre}(row, maxval, t2);
      @ loop assigns t2, sum, row[0 .. t], errno;
      @ loop variant t - t2;
      @*/
    for (int t2 = 0; t2 <= t; t2++) {
        /* ≤ 0: maxval is the largest of these same floats (the loop's
         * `upper`, so no clamp as attention.c's, whose proof lacks it) */
        float e = expf(row[t2] - maxval);
        //@ assert exp: e == lnf_expf_nonpos(row[t2] - maxval);
        row[t2] = e;
        sum += e;
    }
    if (sum < 1.0f) {
        sum = 1.0f; /* never taken: the max's own term is exp(0) = 1 */
    }
    float inv_sum = 1.0f / sum;
    //@ assert inv: inv_sum == 1.0 / blas_row_denominator{Pre}(row, maxval, t + 1);
    /*@ loop invariant 0 <= t2 <= T;
      @ loop invariant weights: \forall integer s; 0 <= s < t2 ==>
      @   row[s] == blas_row_weight{Pre}(row, maxval, inv_sum, t, s);
      @ loop invariant exps: \forall integer s; t2 <= s <= t ==>
      @   row[s] == lnf_expf_nonpos(\at(row[s], Pre) - maxval);
      @ loop assigns t2, row[0 .. T-1];
      @ loop variant T - t2;
      @*/
    for (int t2 = 0; t2 < T; t2++) {
        /*@ assert weight: blas_row_weight{Pre}(row, maxval, inv_sum, t, t2) ==
          @   (t2 <= t ? lnf_expf_nonpos(lnf_at{Pre}(row + t2) - maxval) * inv_sum : 0.0);
          @*/
        //@ assert current: t2 <= t ==> row[t2] == lnf_expf_nonpos(lnf_at{Pre}(row + t2) - maxval);
        row[t2] = t2 <= t ? row[t2] * inv_sum : 0.0f;
        //@ assert stored: row[t2] == blas_row_weight{Pre}(row, maxval, inv_sum, t, t2);
    }
}

void attention_forward_head_blocked(float *out, float *att,
                                    const float *q, const float *k, const float *v,
                                    int T, int C, int NH, int h)
{
    int hs = C / NH;
    //@ assert head_split: NH * hs == C && 0 < hs;
    int head = lnf_row_offset(h, NH, hs);
    float *att_h = att + lnf_row_offset(h, NH, T * T);
    float scale = 1.0f / sqrtf((float)hs);
    /*@ loop invariant 0 <= t0 <= T + ATT_BLOCK;
      @ loop assigns t0, out[0 .. T*C-1], att[h*T*T .. (h+1)*T*T-1], errno;
      @ loop variant T - t0;
      @*/
    for (int t0 = 0; t0 < T; t0 += ATT_BLOCK) {
        int t1 = T - t0 < ATT_BLOCK ? T : t0 + ATT_BLOCK;
        float *scores = att_h + lnf_row_offset(t0, T, T);
        /* rows t0 .. t1−1, the keys 0 .. t1−1 they can see: scale · q kᵀ */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, t1 - t0, t1, hs, scale,
                    q + lnf_row_offset(t0, T, C) + head, C, k + head, C, 0.0f, scores, T)
            /*@ ghost (att_h, t0, 0, q, t0, head, k, 0, head) */;
        /*@ loop invariant t0 <= t <= t1;
          @ loop assigns t, att[h*T*T .. (h+1)*T*T-1], errno;
          @ loop variant t1 - t;
          @*/
        for (int t = t0; t < t1; t++) {
            softmax_row(att_h + lnf_row_offset(t, T, T), t, T);
        }
        /* out rows t0 .. t1−1 = att · v over keys 0 .. t1−1 (later keys are 0) */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, t1 - t0, hs, t1, 1.0f, scores, T,
                    v + head, C, 0.0f, out + lnf_row_offset(t0, T, C) + head, C)
            /*@ ghost (out, t0, head, att_h, t0, 0, v, 0, head) */;
    }
}

void attention_backward_head_blocked(float *dq, float *dk, float *dv, float *scratch,
                                     const float *dout, const float *att,
                                     const float *q, const float *k, const float *v,
                                     int T, int C, int NH, int h)
{
    int hs = C / NH;
    //@ assert head_split: NH * hs == C && 0 < hs;
    int head = lnf_row_offset(h, NH, hs);
    const float *att_h = att + lnf_row_offset(h, NH, T * T);
    float scale = 1.0f / sqrtf((float)hs);
    /*@ loop invariant 0 <= t0 <= T + ATT_BLOCK;
      @ loop assigns t0, dq[0 .. T*C-1], dk[0 .. T*C-1], dv[0 .. T*C-1],
      @              scratch[0 .. ATT_BLOCK*T-1];
      @ loop variant T - t0;
      @*/
    for (int t0 = 0; t0 < T; t0 += ATT_BLOCK) {
        int t1 = T - t0 < ATT_BLOCK ? T : t0 + ATT_BLOCK, tb = t1 - t0;
        //@ assert block: 0 <= t0 < t1 <= T && tb == t1 - t0 && 0 < tb <= ATT_BLOCK;
        /* the spans the sgemm calls touch, as linear facts for the provers:
         * rows t0 .. t1−1 of att_h [T, T] and of the [T, C] arrays, and
         * rows 0 .. tb−1 of scratch [ATT_BLOCK, T] */
        int att_last = lnf_row_offset(t1 - 1, T, T), row_last = lnf_row_offset(t1 - 1, T, C);
        int scratch_last = lnf_row_offset(tb - 1, ATT_BLOCK, T);
        int att_first = lnf_row_offset(t0, T, T), row_first = lnf_row_offset(t0, T, C);
        //@ assert att_span: att_first + (tb - 1) * T == att_last;
        //@ assert row_span: row_first + (tb - 1) * C == row_last;
        //@ assert scratch_span: scratch_last == (tb - 1) * T && scratch_last + T <= ATT_BLOCK * T;
        (void)att_last; /* att_last, row_last and scratch_last exist for the proofs */
        (void)row_last;
        (void)scratch_last;
        const float *att_b = att_h + att_first;
        const float *dout_b = dout + row_first + head;
        /* datt [tb, t1] = dout_b · vᵀ;  dv[0 .. t1−1] += att_bᵀ · dout_b */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, tb, t1, hs, 1.0f, dout_b, C,
                    v + head, C, 0.0f, scratch, T)
            /*@ ghost (scratch, 0, 0, dout, t0, head, v, 0, head) */;
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, t1, hs, tb, 1.0f, att_b, T, dout_b,
                    C, 1.0f, dv + head, C)
            /*@ ghost (dv, 0, head, att_h, t0, 0, dout, t0, head) */;
        /* softmax backward per row: dscore = att·(datt − Σ att·datt)·scale, 0 past t */
        /*@ loop invariant 0 <= r <= tb;
          @ loop assigns r, scratch[0 .. ATT_BLOCK*T-1];
          @ loop variant tb - r;
          @*/
        for (int r = 0; r < tb; r++) {
            const float *att_t = att_b + lnf_row_offset(r, ATT_BLOCK, T);
            float *ds = scratch + lnf_row_offset(r, ATT_BLOCK, T);
            int t = t0 + r;
            float att_dot_datt = 0.0f;
            /*@ loop invariant 0 <= t2 <= t + 1;
              @ loop assigns t2, att_dot_datt;
              @ loop variant t - t2;
              @*/
            for (int t2 = 0; t2 <= t; t2++) {
                att_dot_datt += att_t[t2] * ds[t2];
            }
            /*@ loop invariant 0 <= t2 <= t1;
              @ loop assigns t2, ds[0 .. t1-1];
              @ loop variant t1 - t2;
              @*/
            for (int t2 = 0; t2 < t1; t2++) {
                ds[t2] = t2 <= t ? att_t[t2] * (ds[t2] - att_dot_datt) * scale : 0.0f;
            }
        }
        /* dq_b += dscore · k;  dk[0 .. t1−1] += dscoreᵀ · q_b */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, tb, hs, t1, 1.0f, scratch, T,
                    k + head, C, 1.0f, dq + row_first + head, C)
            /*@ ghost (dq, t0, head, scratch, 0, 0, k, 0, head) */;
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, t1, hs, tb, 1.0f, scratch, T,
                    q + row_first + head, C, 1.0f, dk + head, C)
            /*@ ghost (dk, 0, head, scratch, 0, 0, q, t0, head) */;
    }
}

#else

void attention_forward_head_blocked(float *out, float *att,
                                    const float *q, const float *k, const float *v,
                                    int T, int C, int NH, int h)
{
    attention_forward_head(out, att, q, k, v, T, C, NH, h);
}

void attention_backward_head_blocked(float *dq, float *dk, float *dv, float *scratch,
                                     const float *dout, const float *att,
                                     const float *q, const float *k, const float *v,
                                     int T, int C, int NH, int h)
{
    attention_backward_head(dq, dk, dv, scratch, dout, att, q, k, v, T, C, NH, h);
}

#endif
