/* attention: causal multi-head self-attention, forward and backward. The
 * work is one (batch entry, head) pair at a time, each on entry-local arrays;
 * the whole-batch functions run every pair in order. */
#include "kernels/attention.h"
#include <float.h>
#include "kernels/index.h"
#include "kernels/vecmath.h"

/* a · b over n floats, as LANES partial sums (vecmath.h) added at the end. */
/*@ requires size: 0 < n;
  @ requires readable_a: \valid_read(a + (0 .. n-1));
  @ requires readable_b: \valid_read(b + (0 .. n-1));
  @ assigns \nothing;
  @*/
static float dot(const float *a, const float *b, int n)
{
    float acc[LANES] = {0.0f};
    int i = 0;
    /*@ loop invariant 0 <= i <= n;
      @ loop assigns i, acc[0 .. LANES-1];
      @ loop variant n - i;
      @*/
    for (; i <= n - LANES; i += LANES) {
        /*@ loop invariant 0 <= j <= LANES;
          @ loop assigns j, acc[0 .. LANES-1];
          @ loop variant LANES - j;
          @*/
        for (int j = 0; j < LANES; j++) {
            acc[j] += a[i + j] * b[i + j];
        }
    }
    /*@ loop invariant 0 <= i <= n;
      @ loop assigns i, acc[0];
      @ loop variant n - i;
      @*/
    for (; i < n; i++) {
        acc[0] += a[i] * b[i];
    }
    float sum = 0.0f;
    /*@ loop invariant 0 <= j <= LANES;
      @ loop assigns j, sum;
      @ loop variant LANES - j;
      @*/
    for (int j = 0; j < LANES; j++) {
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

/*@ requires position: 0 <= t < T && 0 <= h < NH && 0 < hs && NH * hs == C;
  @ requires fits_int: lnf_fits_int(T * C) && lnf_fits_int(NH * T * T);
  @ assigns \nothing;
  @ ensures query: \result.query == t * C + h * hs;
  @ ensures query_range: 0 <= \result.query && \result.query + hs <= T * C;
  @ ensures att_in_head: h * T * T <= \result.att_row && \result.att_row + T <= (h + 1) * T * T;
  @*/
static attn_index attn_index_of(int t, int h, int T, int C, int NH, int hs)
{
    attn_index ix;
    int head = lnf_row_offset(h, NH, hs);       /* h·hs */
    int row = lnf_row_offset(t, T, C);          /* t·C */
    //@ assert head_fits: row + head + hs <= row + C;
    ix.query = row + head;
    int first = lnf_row_offset(h, NH, T * T);   /* h·T·T */
    ix.att_row = first + lnf_row_offset(t, T, T);
    //@ assert in_head: first + T * T == (h + 1) * T * T;
    return ix;
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

void attention_forward_head(float *out, float *att,
                            const float *q, const float *k, const float *v,
                            int T, int C, int NH, int h)
{
    int hs = C / NH;
    //@ assert head_split: NH * hs == C && 0 < hs;
    int head = lnf_row_offset(h, NH, hs);
    float scale = 1.0f / sqrtf((float)hs);
    /*@ loop invariant 0 <= t <= T;
      @ loop assigns t, out[0 .. T*C-1], att[h*T*T .. (h+1)*T*T-1], errno;
      @ loop variant T - t;
      @*/
    for (int t = 0; t < T; t++) {
        attn_index ix = attn_index_of(t, h, T, C, NH, hs);
        const float *q_t = q + ix.query;
        float *att_t = att + ix.att_row;
        float *out_t = out + ix.query;

        /* scores and their max over the causal window 0..t */
        float maxval = -FLT_MAX;
        /*@ loop invariant 0 <= t2 <= t + 1;
          @ loop assigns t2, maxval, att_t[0 .. t];
          @ loop variant t - t2;
          @*/
        for (int t2 = 0; t2 <= t; t2++) {
            float score = dot(q_t, k + key_offset(t2, head, hs, T, C), hs) * scale;
            att_t[t2] = score;
            if (score > maxval) {
                maxval = score;
            }
        }
        /* exp(score − max) is ≤ 1: no overflow whatever the scores. The
         * clamp to ≤ 0 never changes a value (maxval is the max of these
         * same floats); it gives the provers the bound directly. */
        float sum = 0.0f;
        /*@ loop invariant 0 <= t2 <= t + 1;
          @ loop assigns t2, sum, att_t[0 .. t], errno;
          @ loop variant t - t2;
          @*/
        for (int t2 = 0; t2 <= t; t2++) {
            float z = att_t[t2] - maxval;
            if (z > 0.0f) {
                z = 0.0f;
            }
            float e = expf(z);
            att_t[t2] = e;
            sum += e;
        }
        if (sum < 1.0f) {
            sum = 1.0f; /* never taken: the max's own term is exp(0) = 1 */
        }
        float inv_sum = 1.0f / sum;
        /*@ loop invariant 0 <= t2 <= T;
          @ loop assigns t2, att_t[0 .. T-1];
          @ loop variant T - t2;
          @*/
        for (int t2 = 0; t2 < T; t2++) {
            att_t[t2] = t2 <= t ? att_t[t2] * inv_sum : 0.0f;
        }
        /* out_t = sum_t2 att[t2] · v[t2] */
        /*@ loop invariant 0 <= i <= hs;
          @ loop assigns i, out_t[0 .. hs-1];
          @ loop variant hs - i;
          @*/
        for (int i = 0; i < hs; i++) {
            out_t[i] = 0.0f;
        }
        /*@ loop invariant 0 <= t2 <= t + 1;
          @ loop assigns t2, out_t[0 .. hs-1];
          @ loop variant t - t2;
          @*/
        for (int t2 = 0; t2 <= t; t2++) {
            const float *v_t2 = v + key_offset(t2, head, hs, T, C);
            float a = att_t[t2];
            /*@ loop invariant 0 <= i <= hs;
              @ loop assigns i, out_t[0 .. hs-1];
              @ loop variant hs - i;
              @*/
            for (int i = 0; i < hs; i++) {
                out_t[i] += a * v_t2[i];
            }
        }
    }
}

void attention_backward_head(float *dq, float *dk, float *dv, float *scratch,
                             const float *dout, const float *att,
                             const float *q, const float *k, const float *v,
                             int T, int C, int NH, int h)
{
    int hs = C / NH;
    //@ assert head_split: NH * hs == C && 0 < hs;
    int head = lnf_row_offset(h, NH, hs);
    float scale = 1.0f / sqrtf((float)hs);
    float *datt = scratch;
    /*@ loop invariant 0 <= t <= T;
      @ loop assigns t, dq[0 .. T*C-1], dk[0 .. T*C-1], dv[0 .. T*C-1], scratch[0 .. T-1];
      @ loop variant T - t;
      @*/
    for (int t = 0; t < T; t++) {
        attn_index ix = attn_index_of(t, h, T, C, NH, hs);
        const float *att_t = att + ix.att_row;
        const float *dout_t = dout + ix.query;
        const float *q_t = q + ix.query;
        float *dq_t = dq + ix.query;

        /* datt[t2] = dout_t · v[t2];  dv[t2] += att[t2] · dout_t */
        /*@ loop invariant 0 <= t2 <= t + 1;
          @ loop assigns t2, datt[0 .. t], dv[0 .. T*C-1];
          @ loop variant t - t2;
          @*/
        for (int t2 = 0; t2 <= t; t2++) {
            int o2 = key_offset(t2, head, hs, T, C);
            const float *v_t2 = v + o2;
            float *dv_t2 = dv + o2;
            float a = att_t[t2];
            datt[t2] = dot(dout_t, v_t2, hs);
            /*@ loop invariant 0 <= i <= hs;
              @ loop assigns i, dv_t2[0 .. hs-1];
              @ loop variant hs - i;
              @*/
            for (int i = 0; i < hs; i++) {
                dv_t2[i] += a * dout_t[i];
            }
        }
        /* softmax backward: dscore[t2] = att[t2]·(datt[t2] − Σ att·datt) */
        float att_dot_datt = 0.0f;
        /*@ loop invariant 0 <= t2 <= t + 1;
          @ loop assigns t2, att_dot_datt;
          @ loop variant t - t2;
          @*/
        for (int t2 = 0; t2 <= t; t2++) {
            att_dot_datt += att_t[t2] * datt[t2];
        }
        /*@ loop invariant 0 <= t2 <= t + 1;
          @ loop assigns t2, dq_t[0 .. hs-1], dk[0 .. T*C-1];
          @ loop variant t - t2;
          @*/
        for (int t2 = 0; t2 <= t; t2++) {
            int o2 = key_offset(t2, head, hs, T, C);
            const float *k_t2 = k + o2;
            float *dk_t2 = dk + o2;
            float dscore = att_t[t2] * (datt[t2] - att_dot_datt) * scale;
            /*@ loop invariant 0 <= i <= hs;
              @ loop assigns i, dq_t[0 .. hs-1], dk_t2[0 .. hs-1];
              @ loop variant hs - i;
              @*/
            for (int i = 0; i < hs; i++) {
                dq_t[i] += dscore * k_t2[i];
                dk_t2[i] += dscore * q_t[i];
            }
        }
    }
}

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
