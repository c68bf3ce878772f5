/* EVA harness: layernorm.c over many rows, at GPT-2's own widths.
 * layernorm_harness.c covers every width C in [1, 4096] over N in [1, 2] rows:
 * a row's mean is Σ/C, and with C an interval EVA's non-relational domain loses
 * that the sum grows with C, so the second row onwards the bounds go loose. Here
 * C is one of GPT-2 small/medium/large/XL's widths at a time, the reductions
 * over C are unrolled (exact per-row bounds), and the row loop over N in
 * [1, 16384] (B·T of the recipes' micro-batches) is not: rows are independent
 * except the parameter-gradient accumulators, whose every term is bounded
 * (|x̂·dy| ≤ 2e7·1e4, |dy| ≤ 1e4), so EVA widens them to ±FLT_MAX, where one
 * more such term rounds back to FLT_MAX: no count of rows is needed for the
 * absence of overflow. Each width has arrays of its own, so no analysis joins
 * another's values.
 * domain: C in {768, 1024, 1280, 1600} (gpt2, gpt2-medium, gpt2-large, gpt2-xl), each its own analysis; N in [1, 16384] rows
 * domain: |x| <= LN_FIXED_MAX_ABS_X = 1e4; scales s in [1e-3, 1e4], any scale class; |gamma|, |beta| <= 1e3
 * domain: backward: |dy| <= 1e4; dinp, dweight, dbias within +-1e30 on entry (see verify/README.md, Accumulators on entry)
 * domain: real LayerNorm: same x, gamma, beta; eps in [1e-6, 1e-4]; mean and rstd from its forward
 */
/* eva-auto-loop-unroll: 1700 */
/* eva-kernel: layernorm */
#include "__fc_builtin.h"
#include "kernels/domain.h"
#include "kernels/layernorm.h"

#define NMAX 16384

/* one width's arrays */
#define WIDTH_ARRAYS(CW)                                                                 \
    static float inp_##CW[NMAX * CW], out_##CW[NMAX * CW], dout_##CW[NMAX * CW],         \
        dinp_##CW[NMAX * CW];                                                            \
    static float weight_##CW[CW], bias_##CW[CW], dweight_##CW[CW], dbias_##CW[CW];       \
    static float mean_##CW[NMAX], rstd_##CW[NMAX];                                       \
    static uint8_t class_##CW[NMAX]
WIDTH_ARRAYS(768);
WIDTH_ARRAYS(1024);
WIDTH_ARRAYS(1280);
WIDTH_ARRAYS(1600);
static float scales[LN_SCALE_CLASSES];

static void fill(float *x, int n, float lo, float hi)
{
    /*@ loop unroll 0; */
    for (int i = 0; i < n; i++) {
        x[i] = Frama_C_float_interval(lo, hi);
    }
}

static void fill_accumulators(float *dinp, float *dweight, float *dbias, int C)
{
    fill(dinp, NMAX * C, -LN_FIXED_MAX_ABS_ACC, LN_FIXED_MAX_ABS_ACC);
    fill(dweight, C, -LN_FIXED_MAX_ABS_ACC, LN_FIXED_MAX_ABS_ACC);
    fill(dbias, C, -LN_FIXED_MAX_ABS_ACC, LN_FIXED_MAX_ABS_ACC);
}

/* Both forms, forward and backward, at width C over N rows. */
static void analyse(int C, float *inp, float *out, float *dout, float *dinp, float *weight,
                    float *bias, float *dweight, float *dbias, float *mean, float *rstd,
                    uint8_t *scale_class)
{
    int N = Frama_C_interval(1, NMAX);
    fill(inp, NMAX * C, -LN_FIXED_MAX_ABS_X, LN_FIXED_MAX_ABS_X);
    fill(weight, C, -LN_FIXED_MAX_ABS_PARAM, LN_FIXED_MAX_ABS_PARAM);
    fill(bias, C, -LN_FIXED_MAX_ABS_PARAM, LN_FIXED_MAX_ABS_PARAM);
    fill(dout, NMAX * C, -LN_FIXED_MAX_ABS_DY, LN_FIXED_MAX_ABS_DY);
    /*@ loop unroll 0; */
    for (int n = 0; n < NMAX; n++) {
        scale_class[n] = (uint8_t)Frama_C_interval(0, LN_SCALE_CLASSES - 1);
    }

    layernorm_fixed_forward(out, mean, inp, weight, bias, scales, scale_class, N, C);
    Frama_C_show_each_fixed_forward_out(C, out[Frama_C_interval(0, N * C - 1)]);
    fill_accumulators(dinp, dweight, dbias, C);
    layernorm_fixed_backward(dinp, dweight, dbias, dout, inp, weight, mean, scales,
                             scale_class, N, C);
    Frama_C_show_each_fixed_backward_dinp(C, dinp[Frama_C_interval(0, N * C - 1)]);
    Frama_C_show_each_fixed_backward_dweight(C, dweight[Frama_C_interval(0, C - 1)]);

    float eps = Frama_C_float_interval(DOMAIN_LN_MIN_EPS, DOMAIN_LN_MAX_EPS);
    layernorm_forward(out, mean, rstd, inp, weight, bias, eps, N, C);
    Frama_C_show_each_forward_out(C, out[Frama_C_interval(0, N * C - 1)]);
    Frama_C_show_each_forward_rstd(C, rstd[Frama_C_interval(0, N - 1)]);
    fill_accumulators(dinp, dweight, dbias, C);
    layernorm_backward(dinp, dweight, dbias, dout, inp, weight, mean, rstd, N, C);
    Frama_C_show_each_backward_dinp(C, dinp[Frama_C_interval(0, N * C - 1)]);
    Frama_C_show_each_backward_dweight(C, dweight[Frama_C_interval(0, C - 1)]);
}

#define ANALYSE(CW)                                                                       \
    analyse(CW, inp_##CW, out_##CW, dout_##CW, dinp_##CW, weight_##CW, bias_##CW,         \
            dweight_##CW, dbias_##CW, mean_##CW, rstd_##CW, class_##CW)

int main(void)
{
    /* one by one: a loop's weak updates would keep the cells' initial 0 */
    scales[LN_SCALE_AVG] = Frama_C_float_interval(LN_FIXED_MIN_SCALE, LN_FIXED_MAX_SCALE);
    scales[LN_SCALE_BOS] = Frama_C_float_interval(LN_FIXED_MIN_SCALE, LN_FIXED_MAX_SCALE);
    scales[LN_SCALE_EOT] = Frama_C_float_interval(LN_FIXED_MIN_SCALE, LN_FIXED_MAX_SCALE);
    ANALYSE(768);
    ANALYSE(1024);
    ANALYSE(1280);
    ANALYSE(1600);
    return 0;
}
