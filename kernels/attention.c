/* attention: causal multi-head self-attention, forward and backward. */
#include "attention.h"
#include "index.h"
#include "vecmath.h"
#include <float.h>

/* a · b over n floats, as LANES partial sums (vecmath.h) added at the end. */
/*@ requires 0 < n;
  @ requires \valid_read(a + (0 .. n-1));
  @ requires \valid_read(b + (0 .. n-1));
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

void attention_forward(float *out, float *att,
                       const float *q, const float *k, const float *v,
                       int B, int T, int C, int NH)
{
    //@ assert rows_fit: B * NH * T <= B * NH * T * T;
    const int BT = B * T;
    const int BNH = B * NH;
    const int BNHT = B * NH * T;
    int hs = C / NH;
    //@ assert head_split: NH * hs == C && 0 < hs;
    float scale = 1.0f / sqrtf((float)hs);
    /*@ loop invariant 0 <= b <= B;
      @ loop assigns b, out[0 .. B*T*C-1], att[0 .. B*NH*T*T-1], errno;
      @ loop variant B - b;
      @*/
    for (int b = 0; b < B; b++) {
        /*@ loop invariant 0 <= h <= NH;
          @ loop assigns h, out[0 .. B*T*C-1], att[0 .. B*NH*T*T-1], errno;
          @ loop variant NH - h;
          @*/
        for (int h = 0; h < NH; h++) {
            /*@ loop invariant 0 <= t <= T;
              @ loop assigns t, out[0 .. B*T*C-1], att[0 .. B*NH*T*T-1], errno;
              @ loop variant T - t;
              @*/
            for (int t = 0; t < T; t++) {
                int row = lnf_row_offset(b, B, T) + t;        /* (b·T + t) */
                int head = lnf_row_offset(h, NH, hs);         /* h·hs */
                int qo = lnf_row_offset(row, BT, C) + head;
                int bh = lnf_row_offset(b, B, NH) + h;        /* (b·NH + h) */
                int bht = lnf_row_offset(bh, BNH, T) + t;
                const float *q_t = q + qo;
                float *att_t = att + lnf_row_offset(bht, BNHT, T);
                float *out_t = out + qo;

                /* scores and their max over the causal window 0..t */
                float maxval = -FLT_MAX;
                /*@ loop invariant 0 <= t2 <= t + 1;
                  @ loop assigns t2, maxval, att_t[0 .. t];
                  @ loop variant t - t2;
                  @*/
                for (int t2 = 0; t2 <= t; t2++) {
                    int row2 = lnf_row_offset(b, B, T) + t2;
                    const float *k_t2 = k + lnf_row_offset(row2, BT, C) + head;
                    float score = dot(q_t, k_t2, hs) * scale;
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
                    int row2 = lnf_row_offset(b, B, T) + t2;
                    const float *v_t2 = v + lnf_row_offset(row2, BT, C) + head;
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
    }
}

void attention_backward(float *dq, float *dk, float *dv, float *scratch,
                        const float *dout, const float *att,
                        const float *q, const float *k, const float *v,
                        int B, int T, int C, int NH)
{
    //@ assert rows_fit: B * NH * T <= B * NH * T * T;
    const int BT = B * T;
    const int BNH = B * NH;
    const int BNHT = B * NH * T;
    int hs = C / NH;
    //@ assert head_split: NH * hs == C && 0 < hs;
    float scale = 1.0f / sqrtf((float)hs);
    /*@ loop invariant 0 <= b <= B;
      @ loop assigns b, dq[0 .. B*T*C-1], dk[0 .. B*T*C-1], dv[0 .. B*T*C-1], scratch[0 .. T-1];
      @ loop variant B - b;
      @*/
    for (int b = 0; b < B; b++) {
        /*@ loop invariant 0 <= h <= NH;
          @ loop assigns h, dq[0 .. B*T*C-1], dk[0 .. B*T*C-1], dv[0 .. B*T*C-1], scratch[0 .. T-1];
          @ loop variant NH - h;
          @*/
        for (int h = 0; h < NH; h++) {
            /*@ loop invariant 0 <= t <= T;
              @ loop assigns t, dq[0 .. B*T*C-1], dk[0 .. B*T*C-1], dv[0 .. B*T*C-1], scratch[0 .. T-1];
              @ loop variant T - t;
              @*/
            for (int t = 0; t < T; t++) {
                int row = lnf_row_offset(b, B, T) + t;        /* (b·T + t) */
                int head = lnf_row_offset(h, NH, hs);         /* h·hs */
                int qo = lnf_row_offset(row, BT, C) + head;
                int bh = lnf_row_offset(b, B, NH) + h;        /* (b·NH + h) */
                int bht = lnf_row_offset(bh, BNH, T) + t;
                const float *att_t = att + lnf_row_offset(bht, BNHT, T);
                const float *dout_t = dout + qo;
                const float *q_t = q + qo;
                float *dq_t = dq + qo;
                float *datt = scratch;

                /* datt[t2] = dout_t · v[t2];  dv[t2] += att[t2] · dout_t */
                /*@ loop invariant 0 <= t2 <= t + 1;
                  @ loop assigns t2, datt[0 .. t], dv[0 .. B*T*C-1];
                  @ loop variant t - t2;
                  @*/
                for (int t2 = 0; t2 <= t; t2++) {
                    int o2 = lnf_row_offset(lnf_row_offset(b, B, T) + t2, BT, C) + head;
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
                  @ loop assigns t2, dq_t[0 .. hs-1], dk[0 .. B*T*C-1];
                  @ loop variant t - t2;
                  @*/
                for (int t2 = 0; t2 <= t; t2++) {
                    int o2 = lnf_row_offset(lnf_row_offset(b, B, T) + t2, BT, C) + head;
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
    }
}
