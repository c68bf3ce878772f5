/* layernorm: real and fixed-scale LayerNorm, forward and backward. */
#include "kernels/layernorm.h"
#include "kernels/flat_index.h"
#include "kernels/index.h"
#include "kernels/libm_spec.h"
#include <math.h>

/* Σ_i inp[x0 + i] / C, the terms added in order into one float */
/*@ requires size: 0 < C && 0 <= x0 && lnf_fits_int(x0 + C);
  @ requires readable: \valid_read(inp + (x0 .. x0 + C - 1));
  @ assigns \nothing;
  @ ensures mean: \result == lnf_sum(inp, x0, 1, C) / C;
  @*/
static float row_mean(const float *inp, int x0, int C)
{
    float sum = 0.0f;
    /*@ loop invariant 0 <= i <= C;
      @ loop invariant sum: sum == lnf_sum_terms(inp, x0, 1, i);
      @ loop assigns i, sum;
      @ loop variant C - i;
      @*/
    for (int i = 0; i < C; i++) {
        sum += inp[x0 + i];
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

/* Σ_i (inp[x0 + i] − m)², the terms added in order into one float */
/*@ requires size: 0 < C && 0 <= x0 && lnf_fits_int(x0 + C);
  @ requires readable: \valid_read(inp + (x0 .. x0 + C - 1));
  @ assigns \nothing;
  @ ensures value: \result == layernorm_sqdev(inp, x0, m, C);
  @ ensures positive: \result >= 0;
  @*/
static float row_sqdev(const float *inp, int x0, float m, int C)
{
    float var = 0.0f;
    /*@ loop invariant 0 <= i <= C;
      @ loop invariant var_pos: var >= 0;
      @ loop invariant var_sum: var == layernorm_sqdev_terms(inp, x0, m, i);
      @ loop assigns i, var;
      @ loop variant C - i;
      @*/
    for (int i = 0; i < C; i++) {
        float d = inp[x0 + i] - m;
        var += square(d);
    }
    return var;
}

/* 1/√(var/C + eps), in a context of its own */
/*@ requires var >= 0 && C > 0 && eps > 0;
  @ assigns \nothing;
  @ ensures value: \result == 1.0 / \sqrt(var / C + eps);
  @*/
static float layernorm_rstd(float var, int C, float eps)
{
    return 1.0f / sqrtf(var / (float)C + eps);
}

/* One element: (x − m)·s·w + b (real form, s = rstd) or (x − m)/s·w + b
 * (fixed form, s = σ̄). Its value is proved in a context of its own: inside
 * the row's loop the provers time out on it. */
/*@ requires fixed ==> s > 0;
  @ assigns \nothing;
  @ ensures value: \result == (fixed ? layernorm_fixed_value(x, m, s, w, b)
  @                                  : layernorm_value(x, m, s, w, b));
  @*/
static float layernorm_one(float x, float m, float s, int fixed, float w, float b)
{
    return fixed ? (x - m) / s * w + b : (x - m) * s * w + b;
}

/* out[x0 + i] = layernorm_one(inp[x0 + i], m, s, fixed, γ[i], β[i]): one row */
/*@ requires sizes: 0 < C && 0 <= x0 && lnf_fits_int(x0 + C) && (fixed ==> s > 0);
  @ requires valid: \valid(out + (x0 .. x0 + C - 1)) && \valid_read(inp + (x0 .. x0 + C - 1)) &&
  @                 layernorm_params(weight, bias, C);
  @ requires separated: \separated(out + (x0 .. x0 + C - 1), inp + (x0 .. x0 + C - 1),
  @                                weight + (0 .. C-1), bias + (0 .. C-1));
  @ assigns out[x0 .. x0 + C - 1];
  @ ensures row: \forall integer k; x0 <= k < x0 + C ==>
  @   out[k] == (fixed ? layernorm_fixed_value(inp[k], m, s, weight[k - x0], bias[k - x0])
  @                    : layernorm_value(inp[k], m, s, weight[k - x0], bias[k - x0]));
  @*/
static void layernorm_row(float *out, const float *inp, int x0, const float *weight,
                          const float *bias, float m, float s, int fixed, int C)
{
    /*@ loop invariant 0 <= i <= C;
      @ loop invariant row: \forall integer k; x0 <= k < x0 + i ==>
      @   out[k] == (fixed ? layernorm_fixed_value(inp[k], m, s, weight[k - x0], bias[k - x0])
      @                    : layernorm_value(inp[k], m, s, weight[k - x0], bias[k - x0]));
      @ loop assigns i, out[x0 .. x0 + C - 1];
      @ loop variant C - i;
      @*/
    for (int i = 0; i < C; i++) {
        out[x0 + i] = layernorm_one(inp[x0 + i], m, s, fixed, weight[i], bias[i]);
    }
}

void layernorm_forward(float *out, float *mean, float *rstd,
                       const float *inp, const float *weight, const float *bias,
                       float eps, int N, int C)
{
    /*@ loop invariant 0 <= n <= N;
      @ loop invariant means: \forall integer j; 0 <= j < n ==>
      @   mean[j] == layernorm_mean_at{Pre}(inp, C, j);
      @ loop invariant rstds: \forall integer j; 0 <= j < n ==>
      @   rstd[j] == layernorm_rstd_at{Pre}(inp, eps, C, j);
      @ loop invariant rows: \forall integer k; 0 <= k < n * C ==>
      @   out[k] == layernorm_at{Pre}(inp, weight, bias, eps, C, k);
      @ loop assigns n, out[0 .. N*C-1], mean[0 .. N-1], rstd[0 .. N-1];
      @ loop variant N - n;
      @*/
    for (int n = 0; n < N; n++) {
        int off = lnf_row_offset(n, N, C);
        /* inp is as on entry (only out, mean and rstd were written) */
        /*@ assert same_inputs: \forall integer i; 0 <= i < C ==>
          @   inp[off + i * 1] == lnf_at{Pre}(inp + (off + i * 1));
          @*/
        float m = row_mean(inp, off, C);
        //@ assert mean_same: m == layernorm_mean_at{Pre}(inp, C, n);
        float var = row_sqdev(inp, off, m, C);
        /*@ assert var_same: layernorm_sqdev(inp, off, m, C) == layernorm_sqdev{Pre}(inp, off, m, C);
          @*/
        //@ assert var_value: var / C == layernorm_var_at{Pre}(inp, C, n);
        float s = layernorm_rstd(var, C, eps);
        //@ assert rstd_same: s == layernorm_rstd_at{Pre}(inp, eps, C, n);
        layernorm_row(out, inp, off, weight, bias, m, s, 0, C);
        mean[n] = m;
        rstd[n] = s;
        lnf_flat_row_facts(n, C);
        /*@ assert inputs_same: \forall integer k; off <= k < off + C ==>
          @   inp[k] == \at(inp[k], Pre) && weight[k - off] == lnf_at{Pre}(weight + (k - off)) &&
          @   bias[k - off] == lnf_at{Pre}(bias + (k - off));
          @*/
        /*@ assert row_parts: \forall integer k; off <= k < off + C ==>
          @   k / C == n && k % C == k - off && m == layernorm_mean_at{Pre}(inp, C, k / C) &&
          @   s == layernorm_rstd_at{Pre}(inp, eps, C, k / C);
          @*/
        /*@ assert new_row: \forall integer k; off <= k < off + C ==>
          @   out[k] == layernorm_at{Pre}(inp, weight, bias, eps, C, k);
          @*/
    }
}

void layernorm_fixed_forward(float *out, float *mean,
                             const float *inp, const float *weight, const float *bias,
                             const float *scales, const uint8_t *scale_class,
                             int N, int C)
{
    /*@ loop invariant 0 <= n <= N;
      @ loop invariant means: \forall integer j; 0 <= j < n ==>
      @   mean[j] == layernorm_mean_at{Pre}(inp, C, j);
      @ loop invariant rows: \forall integer k; 0 <= k < n * C ==>
      @   out[k] == layernorm_fixed_at{Pre}(inp, weight, bias, scales, scale_class, C, k);
      @ loop assigns n, out[0 .. N*C-1], mean[0 .. N-1];
      @ loop variant N - n;
      @*/
    for (int n = 0; n < N; n++) {
        int off = lnf_row_offset(n, N, C);
        /* inp is as on entry (only out and mean were written) */
        /*@ assert same_inputs: \forall integer i; 0 <= i < C ==>
          @   inp[off + i * 1] == lnf_at{Pre}(inp + (off + i * 1));
          @*/
        float m = row_mean(inp, off, C);
        //@ assert mean_same: m == layernorm_mean_at{Pre}(inp, C, n);
        float s = scales[scale_class[n]];
        layernorm_row(out, inp, off, weight, bias, m, s, 1, C);
        mean[n] = m;
        lnf_flat_row_facts(n, C);
        /*@ assert inputs_same: \forall integer k; off <= k < off + C ==>
          @   inp[k] == \at(inp[k], Pre) && weight[k - off] == lnf_at{Pre}(weight + (k - off)) &&
          @   bias[k - off] == lnf_at{Pre}(bias + (k - off));
          @*/
        /*@ assert row_parts: \forall integer k; off <= k < off + C ==>
          @   k / C == n && k % C == k - off &&
          @   m == layernorm_mean_at{Pre}(inp, C, k / C) &&
          @   s == \at(scales[\at(scale_class[k / C], Pre)], Pre);
          @*/
        /*@ assert new_row: \forall integer k; off <= k < off + C ==>
          @   out[k] == layernorm_fixed_at{Pre}(inp, weight, bias, scales, scale_class, C, k);
          @*/
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
