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

/* One element of dinp's update: (g − gm − x̂·gxm)·r with g = dy·w, x̂ = (x − m)·r
 * (its value proved in a context of its own) */
/*@ assigns \nothing;
  @ ensures value: \result == layernorm_dx_value(dy, w, x, m, r, gm, gxm);
  @*/
static float layernorm_dx_one(float dy, float w, float x, float m, float r, float gm, float gxm)
{
    float xhat = (x - m) * r;
    float g = dy * w;
    return (g - gm - xhat * gxm) * r;
}

/* One element of dweight's update: x̂·dy with x̂ = (x − m)·r */
/*@ assigns \nothing;
  @ ensures value: \result == layernorm_dw_value(x, m, r, dy);
  @*/
static float layernorm_dw_one(float x, float m, float r, float dy)
{
    float xhat = (x - m) * r;
    return xhat * dy;
}

/* sums[0] = Σ_i g_i and sums[1] = Σ_i g_i·x̂_i over the row at x0, g_i =
 * dout[x0 + i]·γ[i], x̂_i = (inp[x0 + i] − m)·r, each added in order into
 * one float (a function of its own: with both sums' step axioms in
 * dinp_rows' context the provers time out there) */
/*@ requires size: 0 < C && 0 <= x0 && lnf_fits_int(x0 + C);
  @ requires readable: \valid_read(dout + (x0 .. x0 + C - 1)) &&
  @                    \valid_read(inp + (x0 .. x0 + C - 1)) && \valid_read(weight + (0 .. C-1));
  @ requires valid: \valid(sums + (0 .. 1));
  @ requires separated: \separated(sums + (0 .. 1), dout + (x0 .. x0 + C - 1),
  @                                inp + (x0 .. x0 + C - 1), weight + (0 .. C-1));
  @ assigns sums[0 .. 1];
  @ ensures g: sums[0] == lnf_dot(dout, x0, 1, weight, 0, 1, C);
  @ ensures gx: sums[1] == layernorm_gx(dout, inp, weight, x0, m, r, C);
  @*/
static void row_grad_sums(const float *dout, const float *inp, const float *weight, int x0,
                          float m, float r, int C, float *sums)
{
    float g_sum = 0.0f;
    float gx_sum = 0.0f;
    /*@ loop invariant 0 <= i <= C;
      @ loop invariant g_sum: g_sum == lnf_dot_sum(dout, x0, 1, weight, 0, 1, i);
      @ loop invariant gx_sum: gx_sum == layernorm_gx_terms(dout, inp, weight, x0, m, r, i);
      @ loop assigns i, g_sum, gx_sum;
      @ loop variant C - i;
      @*/
    for (int i = 0; i < C; i++) {
        float xhat = (inp[x0 + i] - m) * r;
        float g = dout[x0 + i] * weight[i];
        g_sum += g;
        gx_sum += g * xhat;
    }
    sums[0] = g_sum;
    sums[1] = gx_sum;
}

/* The row at x0's mean g and mean g·x̂ (0 for the fixed form): means[0], means[1] */
/*@ requires size: 0 < C && 0 <= x0 && lnf_fits_int(x0 + C);
  @ requires readable: \valid_read(dout + (x0 .. x0 + C - 1)) &&
  @                    \valid_read(inp + (x0 .. x0 + C - 1)) && \valid_read(weight + (0 .. C-1));
  @ requires valid: \valid(means + (0 .. 1));
  @ requires separated: \separated(means + (0 .. 1), dout + (x0 .. x0 + C - 1),
  @                                inp + (x0 .. x0 + C - 1), weight + (0 .. C-1));
  @ assigns means[0 .. 1];
  @ ensures g: means[0] == layernorm_gmean_at(dout, weight, x0, C);
  @ ensures gx: means[1] == layernorm_gxmean_at(dout, inp, weight, x0, m, r, fixed, C);
  @*/
static void row_grad_means(const float *dout, const float *inp, const float *weight, int x0,
                           float m, float r, int fixed, int C, float *means)
{
    float sums[2];
    row_grad_sums(dout, inp, weight, x0, m, r, C, sums);
    means[0] = sums[0] / (float)C;
    means[1] = fixed ? 0.0f : sums[1] / (float)C;
}

/* dinp[x0 + i] += layernorm_dx_one(dout[x0 + i], γ[i], inp[x0 + i], m, r, gm, gxm):
 * one row of the input gradient */
/*@ requires size: 0 < C && 0 <= x0 && lnf_fits_int(x0 + C);
  @ requires valid: \valid(dinp + (x0 .. x0 + C - 1));
  @ requires readable: \valid_read(dout + (x0 .. x0 + C - 1)) &&
  @                    \valid_read(inp + (x0 .. x0 + C - 1)) && \valid_read(weight + (0 .. C-1));
  @ requires separated: \separated(dinp + (x0 .. x0 + C - 1), dout + (x0 .. x0 + C - 1),
  @                                inp + (x0 .. x0 + C - 1), weight + (0 .. C-1));
  @ assigns dinp[x0 .. x0 + C - 1];
  @ ensures dinp: \forall integer k; x0 <= k < x0 + C ==>
  @   dinp[k] == \old(dinp[k]) + layernorm_dx_value(dout[k], weight[k - x0], inp[k], m, r, gm, gxm);
  @*/
static void row_input_grads(float *dinp, const float *dout, const float *inp, const float *weight,
                            int x0, float m, float r, float gm, float gxm, int C)
{
    /*@ loop invariant 0 <= i <= C;
      @ loop invariant done: \forall integer k; x0 <= k < x0 + i ==> dinp[k] == \at(dinp[k], Pre) +
      @   layernorm_dx_value(dout[k], weight[k - x0], inp[k], m, r, gm, gxm);
      @ loop invariant todo: \forall integer k; x0 + i <= k < x0 + C ==> dinp[k] == \at(dinp[k], Pre);
      @ loop assigns i, dinp[x0 .. x0 + C - 1];
      @ loop variant C - i;
      @*/
    for (int i = 0; i < C; i++) {
        dinp[x0 + i] += layernorm_dx_one(dout[x0 + i], weight[i], inp[x0 + i], m, r, gm, gxm);
    }
}

/* dweight[i] += x̂_i·dout[x0 + i], dbias[i] += dout[x0 + i]: one row's share of
 * the parameter gradients */
/*@ requires size: 0 < C && 0 <= x0 && lnf_fits_int(x0 + C);
  @ requires valid: \valid(dweight + (0 .. C-1)) && \valid(dbias + (0 .. C-1));
  @ requires readable: \valid_read(dout + (x0 .. x0 + C - 1)) && \valid_read(inp + (x0 .. x0 + C - 1));
  @ requires separated: \separated(dweight + (0 .. C-1), dbias + (0 .. C-1),
  @                                dout + (x0 .. x0 + C - 1), inp + (x0 .. x0 + C - 1));
  @ assigns dweight[0 .. C-1], dbias[0 .. C-1];
  @ ensures dweight: \forall integer c; 0 <= c < C ==>
  @   dweight[c] == \old(dweight[c]) + layernorm_dw_value(inp[x0 + c], m, r, dout[x0 + c]);
  @ ensures dbias: \forall integer c; 0 <= c < C ==> dbias[c] == \old(dbias[c]) + dout[x0 + c];
  @*/
static void row_param_grads(float *dweight, float *dbias, const float *dout, const float *inp,
                            int x0, float m, float r, int C)
{
    /*@ loop invariant 0 <= i <= C;
      @ loop invariant dweight_done: \forall integer c; 0 <= c < i ==>
      @   dweight[c] == \at(dweight[c], Pre) + layernorm_dw_value(inp[x0 + c], m, r, dout[x0 + c]);
      @ loop invariant dbias_done: \forall integer c; 0 <= c < i ==>
      @   dbias[c] == \at(dbias[c], Pre) + dout[x0 + c];
      @ loop invariant todo: \forall integer c; i <= c < C ==>
      @   dweight[c] == \at(dweight[c], Pre) && dbias[c] == \at(dbias[c], Pre);
      @ loop assigns i, dweight[0 .. C-1], dbias[0 .. C-1];
      @ loop variant C - i;
      @*/
    for (int i = 0; i < C; i++) {
        dbias[i] += dout[x0 + i];
        dweight[i] += layernorm_dw_one(inp[x0 + i], m, r, dout[x0 + i]);
    }
}

/* The backwards' requirements: rstd is read by the real form only (fixed ==
 * 0), scales and scale_class by the fixed form only */
/*@ predicate layernorm_backward_inputs(float *dout, float *inp, float *weight, float *mean,
  @                                     float *rstd, float *scales, uint8_t *scale_class,
  @                                     integer fixed, integer N, integer C) =
  @   0 < N && 0 < C && lnf_fits_int(N * C) &&
  @   lnf_readable(dout, N*C) && lnf_readable(inp, N*C) && lnf_readable(weight, C) &&
  @   lnf_readable(mean, N) &&
  @   (fixed != 0 ? layernorm_scales(scales, scale_class, N) : lnf_readable(rstd, N));
  @*/

/* Row n's inverse scale r: rstd[n], or 1/scales[scale_class[n]] (fixed form) */
/*@ requires inputs: layernorm_backward_inputs(dout, inp, weight, mean, rstd, scales, scale_class,
  @                                            fixed, N, C);
  @ requires row: 0 <= n < N;
  @ assigns \nothing;
  @ ensures value: \result == layernorm_inv_at(rstd, scales, scale_class, fixed, n);
  @*/
static float row_inverse_scale(const float *dout, const float *inp, const float *weight,
                               const float *mean, const float *rstd, const float *scales,
                               const uint8_t *scale_class, int fixed, int N, int C, int n)
{
    (void)dout; /* name the requirements only */
    (void)inp;
    (void)weight;
    (void)mean;
    (void)C;
    (void)N;
    return fixed ? 1.0f / scales[scale_class[n]] : rstd[n];
}

/* dinp of both backwards, row by row */
/*@ requires inputs: layernorm_backward_inputs(dout, inp, weight, mean, rstd, scales, scale_class,
  @                                            fixed, N, C);
  @ requires valid: lnf_writable(dinp, N*C);
  @ requires separated: \separated(dinp + (0 .. N*C-1), dout + (0 .. N*C-1), inp + (0 .. N*C-1),
  @                                weight + (0 .. C-1), mean + (0 .. N-1));
  @ requires separated_form: fixed != 0 ?
  @   \separated(dinp + (0 .. N*C-1), scales + (0 .. LN_SCALE_CLASSES-1), scale_class + (0 .. N-1)) :
  @   \separated(dinp + (0 .. N*C-1), rstd + (0 .. N-1));
  @ assigns dinp[0 .. N*C-1];
  @ ensures dinp: \forall integer k; 0 <= k < N*C ==> dinp[k] == \old(dinp[k]) +
  @   layernorm_dinp_at{Pre}(dout, inp, weight, mean, rstd, scales, scale_class, fixed, C, k);
  @*/
static void dinp_rows(float *dinp, const float *dout, const float *inp, const float *weight,
                      const float *mean, const float *rstd, const float *scales,
                      const uint8_t *scale_class, int fixed, int N, int C)
{
    int n = 0;
    /*@ loop invariant 0 <= n <= N;
      @ loop invariant rows: \forall integer k; 0 <= k < n * C ==> dinp[k] == \at(dinp[k], Pre) +
      @   layernorm_dinp_at{Pre}(dout, inp, weight, mean, rstd, scales, scale_class, fixed, C, k);
      @ loop invariant kept: \forall integer k; n * C <= k < N * C ==> dinp[k] == \at(dinp[k], Pre);
      @ loop assigns n, dinp[0 .. N*C-1];
      @ loop variant N - n;
      @*/
    for (; n < N; n++) {
        int off = lnf_row_offset(n, N, C);
        float r = row_inverse_scale(dout, inp, weight, mean, rstd, scales, scale_class, fixed, N, C, n);
        float m = mean[n];
        //@ assert r_same: r == layernorm_inv_at{Pre}(rstd, scales, scale_class, fixed, n);
        /* dout, inp and weight are as on entry (only dinp was written) */
        /*@ assert same_inputs: \forall integer i; 0 <= i < C ==>
          @   dout[off + i * 1] == lnf_at{Pre}(dout + (off + i * 1)) &&
          @   weight[0 + i * 1] == lnf_at{Pre}(weight + (0 + i * 1)) &&
          @   dout[off + i] == lnf_at{Pre}(dout + (off + i)) &&
          @   inp[off + i] == lnf_at{Pre}(inp + (off + i)) && weight[i] == lnf_at{Pre}(weight + i);
          @*/
        /*@ assert sums_same:
          @   lnf_dot(dout, off, 1, weight, 0, 1, C) == lnf_dot{Pre}(dout, off, 1, weight, 0, 1, C) &&
          @   layernorm_gx(dout, inp, weight, off, m, r, C) ==
          @   layernorm_gx{Pre}(dout, inp, weight, off, m, r, C);
          @*/
        float means[2];
        row_grad_means(dout, inp, weight, off, m, r, fixed, C, means);
        /*@ assert means_same: means[0] == layernorm_gmean_at{Pre}(dout, weight, off, C) &&
          @   means[1] == layernorm_gxmean_at{Pre}(dout, inp, weight, off, m, r, fixed, C);
          @*/
        row_input_grads(dinp, dout, inp, weight, off, m, r, means[0], means[1], C);
        lnf_flat_row_facts(n, C);
        /*@ assert row_parts: \forall integer k; off <= k < off + C ==>
          @   k / C == n && k % C == k - off && (k / C) * C == off;
          @*/
        /*@ assert new_row: \forall integer k; off <= k < off + C ==> dinp[k] == \at(dinp[k], Pre) +
          @   layernorm_dinp_at{Pre}(dout, inp, weight, mean, rstd, scales, scale_class, fixed, C, k);
          @*/
    }
    //@ assert at_end: n == N;
}

/* dweight and dbias of both backwards, row by row */
/*@ requires inputs: layernorm_backward_inputs(dout, inp, weight, mean, rstd, scales, scale_class,
  @                                            fixed, N, C);
  @ requires valid: lnf_writable(dweight, C) && lnf_writable(dbias, C);
  @ requires separated: \separated(dweight + (0 .. C-1), dbias + (0 .. C-1), dout + (0 .. N*C-1),
  @                                inp + (0 .. N*C-1), mean + (0 .. N-1));
  @ requires separated_form: fixed != 0 ?
  @   \separated(dweight + (0 .. C-1), dbias + (0 .. C-1), scales + (0 .. LN_SCALE_CLASSES-1),
  @              scale_class + (0 .. N-1)) :
  @   \separated(dweight + (0 .. C-1), dbias + (0 .. C-1), rstd + (0 .. N-1));
  @ assigns dweight[0 .. C-1], dbias[0 .. C-1];
  @ ensures dweight: \forall integer c; 0 <= c < C ==> dweight[c] == \old(dweight[c]) +
  @   layernorm_dweight_sum{Pre}(dout, inp, mean, rstd, scales, scale_class, fixed, C, c, N);
  @ ensures dbias: \forall integer c; 0 <= c < C ==>
  @   dbias[c] == \old(dbias[c]) + lnf_sum{Pre}(dout, c, C, N);
  @*/
static void param_rows(float *dweight, float *dbias, const float *dout, const float *inp,
                       const float *weight, const float *mean, const float *rstd,
                       const float *scales, const uint8_t *scale_class, int fixed, int N, int C)
{
    int n = 0;
    /*@ loop invariant 0 <= n <= N;
      @ loop invariant dweight_sum: \forall integer c; 0 <= c < C ==>
      @   dweight[c] == \at(dweight[c], Pre) +
      @   layernorm_dweight_terms{Pre}(dout, inp, mean, rstd, scales, scale_class, fixed, C, c, n);
      @ loop invariant dbias_sum: \forall integer c; 0 <= c < C ==>
      @   dbias[c] == \at(dbias[c], Pre) + lnf_sum_terms{Pre}(dout, c, C, n);
      @ loop assigns n, dweight[0 .. C-1], dbias[0 .. C-1];
      @ loop variant N - n;
      @*/
    for (; n < N; n++) {
        int off = lnf_row_offset(n, N, C);
        float r = row_inverse_scale(dout, inp, weight, mean, rstd, scales, scale_class, fixed, N, C, n);
        float m = mean[n];
        /*@ assert dbias_next: \forall integer c; 0 <= c < C ==>
          @   lnf_sum_terms{Pre}(dout, c, C, n + 1) ==
          @   lnf_sum_terms{Pre}(dout, c, C, n) + lnf_at{Pre}(dout + (c + n * C));
          @*/
        /*@ assert dweight_next: \forall integer c; 0 <= c < C ==>
          @   layernorm_dweight_terms{Pre}(dout, inp, mean, rstd, scales, scale_class, fixed, C, c, n + 1) ==
          @   layernorm_dweight_terms{Pre}(dout, inp, mean, rstd, scales, scale_class, fixed, C, c, n) +
          @   layernorm_dw_value(lnf_at{Pre}(inp + (n * C + c)), lnf_at{Pre}(mean + n),
          @                      layernorm_inv_at{Pre}(rstd, scales, scale_class, fixed, n),
          @                      lnf_at{Pre}(dout + (n * C + c)));
          @*/
        //@ assert m_same: m == lnf_at{Pre}(mean + n);
        //@ assert r_same: r == layernorm_inv_at{Pre}(rstd, scales, scale_class, fixed, n);
        //@ assert inp_same: \forall integer c; 0 <= c < C ==> inp[off + c] == lnf_at{Pre}(inp + (n * C + c));
        /*@ assert dout_same: \forall integer c; 0 <= c < C ==>
          @   dout[off + c] == lnf_at{Pre}(dout + (n * C + c)) &&
          @   dout[off + c] == lnf_at{Pre}(dout + (c + n * C));
          @*/
        /*@ assert dw_term: \forall integer c; 0 <= c < C ==>
          @   layernorm_dw_value(inp[off + c], m, r, dout[off + c]) ==
          @   layernorm_dw_value(lnf_at{Pre}(inp + (n * C + c)), lnf_at{Pre}(mean + n),
          @                      layernorm_inv_at{Pre}(rstd, scales, scale_class, fixed, n),
          @                      lnf_at{Pre}(dout + (n * C + c)));
          @*/
        /*@ assert dweight_target: \forall integer c; 0 <= c < C ==>
          @   dweight[c] + layernorm_dw_value(inp[off + c], m, r, dout[off + c]) == \at(dweight[c], Pre) +
          @   layernorm_dweight_terms{Pre}(dout, inp, mean, rstd, scales, scale_class, fixed, C, c, n + 1);
          @*/
        row_param_grads(dweight, dbias, dout, inp, off, m, r, C);
    }
    //@ assert at_end: n == N;
}

/* Both backwards: the parameter gradients, then dinp (each element's value
 * does not depend on the order; dinp's sums are those of entry since only
 * dweight and dbias were written) */
/*@ requires inputs: layernorm_backward_inputs(dout, inp, weight, mean, rstd, scales, scale_class,
  @                                            fixed, N, C);
  @ requires valid: lnf_writable(dinp, N*C) && lnf_writable(dweight, C) && lnf_writable(dbias, C);
  @ requires separated: \separated(dinp + (0 .. N*C-1), dweight + (0 .. C-1), dbias + (0 .. C-1),
  @                                dout + (0 .. N*C-1), inp + (0 .. N*C-1), weight + (0 .. C-1),
  @                                mean + (0 .. N-1));
  @ requires separated_form: fixed != 0 ?
  @   \separated(dinp + (0 .. N*C-1), dweight + (0 .. C-1), dbias + (0 .. C-1),
  @              scales + (0 .. LN_SCALE_CLASSES-1), scale_class + (0 .. N-1)) :
  @   \separated(dinp + (0 .. N*C-1), dweight + (0 .. C-1), dbias + (0 .. C-1), rstd + (0 .. N-1));
  @ assigns dinp[0 .. N*C-1], dweight[0 .. C-1], dbias[0 .. C-1];
  @ ensures dinp: \forall integer k; 0 <= k < N*C ==> dinp[k] == \old(dinp[k]) +
  @   layernorm_dinp_at{Pre}(dout, inp, weight, mean, rstd, scales, scale_class, fixed, C, k);
  @ ensures dweight: \forall integer c; 0 <= c < C ==> dweight[c] == \old(dweight[c]) +
  @   layernorm_dweight_sum{Pre}(dout, inp, mean, rstd, scales, scale_class, fixed, C, c, N);
  @ ensures dbias: \forall integer c; 0 <= c < C ==>
  @   dbias[c] == \old(dbias[c]) + lnf_sum{Pre}(dout, c, C, N);
  @*/
static void backward_rows(float *dinp, float *dweight, float *dbias, const float *dout,
                          const float *inp, const float *weight, const float *mean,
                          const float *rstd, const float *scales, const uint8_t *scale_class,
                          int fixed, int N, int C)
{
    param_rows(dweight, dbias, dout, inp, weight, mean, rstd, scales, scale_class, fixed, N, C);
    lnf_flat_bounds(N, C);
    /*@ assert rows_in: \forall integer k, i; 0 <= k < N*C && 0 <= i < C ==>
      @   0 <= (k / C) * C + i < N * C;
      @*/
    /*@ assert inputs_same: \forall integer k, i; 0 <= k < N*C && 0 <= i < C ==>
      @   dout[(k / C) * C + i * 1] == \at(dout[(k / C) * C + i * 1], Pre) &&
      @   dout[(k / C) * C + i] == \at(dout[(k / C) * C + i], Pre) &&
      @   inp[(k / C) * C + i] == \at(inp[(k / C) * C + i], Pre);
      @*/
    /*@ assert sums_same: \forall integer k; 0 <= k < N*C ==>
      @   lnf_dot(dout, (k / C) * C, 1, weight, 0, 1, C) ==
      @   lnf_dot{Pre}(dout, (k / C) * C, 1, weight, 0, 1, C) &&
      @   layernorm_gx(dout, inp, weight, (k / C) * C, mean[k / C],
      @                layernorm_inv_at(rstd, scales, scale_class, fixed, k / C), C) ==
      @   layernorm_gx{Pre}(dout, inp, weight, (k / C) * C, mean[k / C],
      @                     layernorm_inv_at(rstd, scales, scale_class, fixed, k / C), C);
      @*/
    /*@ assert reads_same: \forall integer k; 0 <= k < N*C ==>
      @   dout[k] == \at(dout[k], Pre) && inp[k] == \at(inp[k], Pre) &&
      @   weight[k % C] == \at(weight[k % C], Pre) && mean[k / C] == \at(mean[k / C], Pre) &&
      @   layernorm_inv_at(rstd, scales, scale_class, fixed, k / C) ==
      @   layernorm_inv_at{Pre}(rstd, scales, scale_class, fixed, k / C);
      @*/
    /*@ assert means_same: \forall integer k; 0 <= k < N*C ==>
      @   layernorm_gmean_at(dout, weight, (k / C) * C, C) ==
      @   layernorm_gmean_at{Pre}(dout, weight, (k / C) * C, C) &&
      @   layernorm_gxmean_at(dout, inp, weight, (k / C) * C, mean[k / C],
      @                       layernorm_inv_at(rstd, scales, scale_class, fixed, k / C), fixed, C) ==
      @   layernorm_gxmean_at{Pre}(dout, inp, weight, (k / C) * C, \at(mean[k / C], Pre),
      @                            layernorm_inv_at{Pre}(rstd, scales, scale_class, fixed, k / C),
      @                            fixed, C);
      @*/
    /*@ assert dinp_same: \forall integer k; 0 <= k < N*C ==>
      @   layernorm_dinp_at(dout, inp, weight, mean, rstd, scales, scale_class, fixed, C, k) ==
      @   layernorm_dinp_at{Pre}(dout, inp, weight, mean, rstd, scales, scale_class, fixed, C, k);
      @*/
    dinp_rows(dinp, dout, inp, weight, mean, rstd, scales, scale_class, fixed, N, C);
}

void layernorm_backward(float *dinp, float *dweight, float *dbias,
                        const float *dout, const float *inp, const float *weight,
                        const float *mean, const float *rstd, int N, int C)
{
    backward_rows(dinp, dweight, dbias, dout, inp, weight, mean, rstd, 0, 0, 0, N, C);
}

void layernorm_fixed_backward(float *dinp, float *dweight, float *dbias,
                              const float *dout, const float *inp, const float *weight,
                              const float *mean, const float *scales,
                              const uint8_t *scale_class, int N, int C)
{
    backward_rows(dinp, dweight, dbias, dout, inp, weight, mean, 0, scales, scale_class, 1, N, C);
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
