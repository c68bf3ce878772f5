/* EVA harness: layernorm.c (fixed-scale path and its domain check), over the
 * domain in kernels/layernorm.h (LN_FIXED_*), which layernorm_fixed_domain_check
 * enforces at run time.
 * domain: C in [1, LN_FIXED_MAX_C = 4096] channels; N in [1, 2] rows (rows are independent)
 * domain: |x| <= LN_FIXED_MAX_ABS_X = 1e4
 * domain: scales s in [LN_FIXED_MIN_SCALE, LN_FIXED_MAX_SCALE] = [1e-3, 1e4], any scale class
 * domain: |gamma|, |beta| <= LN_FIXED_MAX_ABS_PARAM = 1e3
 * domain: backward: |dy| <= LN_FIXED_MAX_ABS_DY = 1e4; dinp, dweight, dbias within +-LN_FIXED_MAX_ABS_ACC = 1e30 on entry
 * domain: real LayerNorm: same x, gamma, beta, C, N; eps in [1e-6, 1e-4]; rstd from the forward
 */
/* eva-auto-loop-unroll: 4100 */
#include "__fc_builtin.h"
#include "kernels/domain.h"
#include "kernels/layernorm.h"

#define NMAX 2
#define CMAX LN_FIXED_MAX_C

static float inp[NMAX * CMAX], out[NMAX * CMAX], dout[NMAX * CMAX], dinp[NMAX * CMAX];
static float weight[CMAX], bias[CMAX], dweight[CMAX], dbias[CMAX];
static float mean[NMAX], rstd[NMAX], scales[LN_SCALE_CLASSES];
static uint8_t scale_class[NMAX];

static void fill(float *x, int n, float lo, float hi)
{
    /*@ loop unroll 0; */
    for (int i = 0; i < n; i++) {
        x[i] = Frama_C_float_interval(lo, hi);
    }
}

int main(void)
{
    int N = Frama_C_interval(1, NMAX);
    int C = Frama_C_interval(1, CMAX);
    fill(inp, NMAX * CMAX, -LN_FIXED_MAX_ABS_X, LN_FIXED_MAX_ABS_X);
    fill(weight, CMAX, -LN_FIXED_MAX_ABS_PARAM, LN_FIXED_MAX_ABS_PARAM);
    fill(bias, CMAX, -LN_FIXED_MAX_ABS_PARAM, LN_FIXED_MAX_ABS_PARAM);
    /* one by one: a loop's weak updates would keep the cells' initial 0 */
    scales[LN_SCALE_AVG] = Frama_C_float_interval(LN_FIXED_MIN_SCALE, LN_FIXED_MAX_SCALE);
    scales[LN_SCALE_BOS] = Frama_C_float_interval(LN_FIXED_MIN_SCALE, LN_FIXED_MAX_SCALE);
    scales[LN_SCALE_EOT] = Frama_C_float_interval(LN_FIXED_MIN_SCALE, LN_FIXED_MAX_SCALE);
    fill(dout, NMAX * CMAX, -LN_FIXED_MAX_ABS_DY, LN_FIXED_MAX_ABS_DY);
    fill(dinp, NMAX * CMAX, -LN_FIXED_MAX_ABS_ACC, LN_FIXED_MAX_ABS_ACC);
    fill(dweight, CMAX, -LN_FIXED_MAX_ABS_ACC, LN_FIXED_MAX_ABS_ACC);
    fill(dbias, CMAX, -LN_FIXED_MAX_ABS_ACC, LN_FIXED_MAX_ABS_ACC);
    /*@ loop unroll 0; */
    for (int n = 0; n < NMAX; n++) {
        scale_class[n] = (uint8_t)Frama_C_interval(0, LN_SCALE_CLASSES - 1);
    }

    int ok = layernorm_fixed_domain_check(inp, weight, bias, scales, N, C);
    Frama_C_show_each_domain_check(ok);

    layernorm_fixed_forward(out, mean, inp, weight, bias, scales, scale_class, N, C);
    Frama_C_show_each_fixed_forward_out(out[Frama_C_interval(0, N * C - 1)]);
    Frama_C_show_each_fixed_forward_mean(mean[Frama_C_interval(0, N - 1)]);

    layernorm_fixed_backward(dinp, dweight, dbias, dout, inp, weight, mean, scales,
                             scale_class, N, C);
    Frama_C_show_each_fixed_backward_dinp(dinp[Frama_C_interval(0, N * C - 1)]);
    Frama_C_show_each_fixed_backward_dweight(dweight[Frama_C_interval(0, C - 1)]);
    Frama_C_show_each_fixed_backward_dbias(dbias[Frama_C_interval(0, C - 1)]);

    float eps = Frama_C_float_interval(DOMAIN_LN_MIN_EPS, DOMAIN_LN_MAX_EPS);
    layernorm_forward(out, mean, rstd, inp, weight, bias, eps, N, C);
    Frama_C_show_each_forward_out(out[Frama_C_interval(0, N * C - 1)]);
    Frama_C_show_each_forward_rstd(rstd[Frama_C_interval(0, N - 1)]);
    fill(dinp, NMAX * CMAX, -LN_FIXED_MAX_ABS_ACC, LN_FIXED_MAX_ABS_ACC);
    fill(dweight, CMAX, -LN_FIXED_MAX_ABS_ACC, LN_FIXED_MAX_ABS_ACC);
    fill(dbias, CMAX, -LN_FIXED_MAX_ABS_ACC, LN_FIXED_MAX_ABS_ACC);
    layernorm_backward(dinp, dweight, dbias, dout, inp, weight, mean, rstd, N, C);
    Frama_C_show_each_backward_dinp(dinp[Frama_C_interval(0, N * C - 1)]);
    Frama_C_show_each_backward_dweight(dweight[Frama_C_interval(0, C - 1)]);
    return 0;
}
