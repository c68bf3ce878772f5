/* layernorm: real and fixed-scale LayerNorm, forward and backward. */
#include "kernels/layernorm.h"
#include "kernels/index.h"
#include <math.h>

/*@ requires size: 0 < C;
  @ requires readable_x: \valid_read(x + (0 .. C-1));
  @ assigns \nothing;
  @*/
static float row_mean(const float *x, int C)
{
    float sum = 0.0f;
    /*@ loop invariant 0 <= i <= C;
      @ loop assigns i, sum;
      @ loop variant C - i;
      @*/
    for (int i = 0; i < C; i++) {
        sum += x[i];
    }
    return sum / (float)C;
}

/* d², with the fact d² ≥ 0 proved in a context of its own. */
/*@ assigns \nothing;
  @ ensures value: \result == d * d && \result >= 0;
  @*/
static float square(float d)
{
    return d * d;
}

void layernorm_forward(float *out, float *mean, float *rstd,
                       const float *inp, const float *weight, const float *bias,
                       float eps, int N, int C)
{
    /*@ loop invariant 0 <= n <= N;
      @ loop assigns n, out[0 .. N*C-1], mean[0 .. N-1], rstd[0 .. N-1];
      @ loop variant N - n;
      @*/
    for (int n = 0; n < N; n++) {
        int off = lnf_row_offset(n, N, C);
        const float *x = inp + off;
        float *y = out + off;
        float m = row_mean(x, C);
        float var = 0.0f;
        /*@ loop invariant 0 <= i <= C;
          @ loop invariant var_pos: var >= 0;
          @ loop assigns i, var;
          @ loop variant C - i;
          @*/
        for (int i = 0; i < C; i++) {
            float d = x[i] - m;
            var += square(d);
        }
        float s = 1.0f / sqrtf(var / (float)C + eps);
        /*@ loop invariant 0 <= i <= C;
          @ loop assigns i, y[0 .. C-1];
          @ loop variant C - i;
          @*/
        for (int i = 0; i < C; i++) {
            y[i] = (x[i] - m) * s * weight[i] + bias[i];
        }
        mean[n] = m;
        rstd[n] = s;
    }
}

void layernorm_fixed_forward(float *out, float *mean,
                             const float *inp, const float *weight, const float *bias,
                             const float *scales, const uint8_t *scale_class,
                             int N, int C)
{
    /*@ loop invariant 0 <= n <= N;
      @ loop assigns n, out[0 .. N*C-1], mean[0 .. N-1];
      @ loop variant N - n;
      @*/
    for (int n = 0; n < N; n++) {
        int off = lnf_row_offset(n, N, C);
        const float *x = inp + off;
        float *y = out + off;
        float m = row_mean(x, C);
        float s = scales[scale_class[n]];
        /*@ loop invariant 0 <= i <= C;
          @ loop assigns i, y[0 .. C-1];
          @ loop variant C - i;
          @*/
        for (int i = 0; i < C; i++) {
            y[i] = (x[i] - m) / s * weight[i] + bias[i];
        }
        mean[n] = m;
    }
}

/* One row of backward, shared by both forms. xhat = (x − m)·inv_scale.
 * through_variance: the real LN's extra term −xhat·mean(g·xhat), which the
 * fixed-scale form does not have (s is a constant). */
/*@ requires size: 0 < C;
  @ requires valid_dx: \valid(dx + (0 .. C-1));
  @ requires valid_dweight: \valid(dweight + (0 .. C-1));
  @ requires valid_dbias: \valid(dbias + (0 .. C-1));
  @ requires readable_dy: \valid_read(dy + (0 .. C-1));
  @ requires readable_x: \valid_read(x + (0 .. C-1));
  @ requires readable_weight: \valid_read(weight + (0 .. C-1));
  @ requires separated: \separated(dx + (0 .. C-1), dweight + (0 .. C-1), dbias + (0 .. C-1),
  @                     dy + (0 .. C-1), x + (0 .. C-1), weight + (0 .. C-1));
  @ assigns dx[0 .. C-1], dweight[0 .. C-1], dbias[0 .. C-1];
  @*/
static void row_backward(float *dx, float *dweight, float *dbias,
                         const float *dy, const float *x, const float *weight,
                         float m, float inv_scale, int through_variance, int C)
{
    float g_mean = 0.0f;
    float g_xhat_mean = 0.0f;
    /*@ loop invariant 0 <= i <= C;
      @ loop assigns i, g_mean, g_xhat_mean;
      @ loop variant C - i;
      @*/
    for (int i = 0; i < C; i++) {
        float xhat = (x[i] - m) * inv_scale;
        float g = dy[i] * weight[i];
        g_mean += g;
        g_xhat_mean += g * xhat;
    }
    g_mean /= (float)C;
    g_xhat_mean = through_variance ? g_xhat_mean / (float)C : 0.0f;
    /*@ loop invariant 0 <= i <= C;
      @ loop assigns i, dx[0 .. C-1], dweight[0 .. C-1], dbias[0 .. C-1];
      @ loop variant C - i;
      @*/
    for (int i = 0; i < C; i++) {
        float xhat = (x[i] - m) * inv_scale;
        float g = dy[i] * weight[i];
        dbias[i] += dy[i];
        dweight[i] += xhat * dy[i];
        dx[i] += (g - g_mean - xhat * g_xhat_mean) * inv_scale;
    }
}

void layernorm_backward(float *dinp, float *dweight, float *dbias,
                        const float *dout, const float *inp, const float *weight,
                        const float *mean, const float *rstd, int N, int C)
{
    /*@ loop invariant 0 <= n <= N;
      @ loop assigns n, dinp[0 .. N*C-1], dweight[0 .. C-1], dbias[0 .. C-1];
      @ loop variant N - n;
      @*/
    for (int n = 0; n < N; n++) {
        int off = lnf_row_offset(n, N, C);
        row_backward(dinp + off, dweight, dbias, dout + off, inp + off, weight,
                     mean[n], rstd[n], 1, C);
    }
}

void layernorm_fixed_backward(float *dinp, float *dweight, float *dbias,
                              const float *dout, const float *inp, const float *weight,
                              const float *mean, const float *scales,
                              const uint8_t *scale_class, int N, int C)
{
    /*@ loop invariant 0 <= n <= N;
      @ loop assigns n, dinp[0 .. N*C-1], dweight[0 .. C-1], dbias[0 .. C-1];
      @ loop variant N - n;
      @*/
    for (int n = 0; n < N; n++) {
        int off = lnf_row_offset(n, N, C);
        row_backward(dinp + off, dweight, dbias, dout + off, inp + off, weight,
                     mean[n], 1.0f / scales[scale_class[n]], 0, C);
    }
}

/*@ assigns \nothing;
  @ ensures inside: \result != 0 <==> lo <= v <= hi;
  @*/
static int within(float v, float lo, float hi)
{
    /* false for NaN: every comparison with NaN is false */
    return v >= lo && v <= hi;
}

/*@ requires size: 0 < n;
  @ requires readable_x: \valid_read(x + (0 .. n-1));
  @ assigns \nothing;
  @ ensures inside: \result != 0 ==> \forall integer i; 0 <= i < n ==> -bound <= x[i] <= bound;
  @*/
static int all_within(const float *x, int n, float bound)
{
    /*@ loop invariant 0 <= i <= n;
      @ loop invariant \forall integer i2; 0 <= i2 < i ==> -bound <= x[i2] <= bound;
      @ loop assigns i;
      @ loop variant n - i;
      @*/
    for (int i = 0; i < n; i++) {
        if (!within(x[i], -bound, bound)) {
            return 0;
        }
    }
    return 1;
}

int layernorm_fixed_domain_check(const float *inp, const float *weight, const float *bias,
                                 const float *scales, int N, int C)
{
    if (C > LN_FIXED_MAX_C) {
        return LN_DOMAIN_BAD_WIDTH;
    }
    /*@ loop invariant 0 <= j <= LN_SCALE_CLASSES;
      @ loop invariant \forall integer j2; 0 <= j2 < j ==>
      @   LN_FIXED_MIN_SCALE <= scales[j2] <= LN_FIXED_MAX_SCALE;
      @ loop assigns j;
      @ loop variant LN_SCALE_CLASSES - j;
      @*/
    for (int j = 0; j < LN_SCALE_CLASSES; j++) {
        if (!within(scales[j], LN_FIXED_MIN_SCALE, LN_FIXED_MAX_SCALE)) {
            return LN_DOMAIN_BAD_SCALE;
        }
    }
    if (!all_within(weight, C, LN_FIXED_MAX_ABS_PARAM)) {
        return LN_DOMAIN_BAD_WEIGHT;
    }
    if (!all_within(bias, C, LN_FIXED_MAX_ABS_PARAM)) {
        return LN_DOMAIN_BAD_BIAS;
    }
    if (!all_within(inp, N * C, LN_FIXED_MAX_ABS_X)) {
        return LN_DOMAIN_BAD_INPUT;
    }
    return LN_DOMAIN_OK;
}

const char *layernorm_fixed_domain_message(int code)
{
    switch (code) {
    case LN_DOMAIN_OK: return "inputs inside the proven domain";
    case LN_DOMAIN_BAD_SCALE: return "a sigma is not finite or outside [1e-3, 1e4]";
    case LN_DOMAIN_BAD_INPUT: return "an input activation is not finite or exceeds 1e4 in magnitude";
    case LN_DOMAIN_BAD_WEIGHT: return "an LN weight is not finite or exceeds 1e3 in magnitude";
    case LN_DOMAIN_BAD_BIAS: return "an LN bias is not finite or exceeds 1e3 in magnitude";
    case LN_DOMAIN_BAD_WIDTH: return "n_embd exceeds 4096";
    default: return "unknown domain check result";
    }
}
