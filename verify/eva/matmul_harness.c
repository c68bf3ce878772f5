/* EVA harness: matmul.c (the plain-C reference loops; the BLAS path's sgemm is
 * assumed, see verify/README.md).
 * Every output element is one reduction of the same form, so each call below
 * takes one reduction dimension and sets the others to 1. Two analyses of
 * each reduction: lengths in [1, 1024] (and the forward at C = 3072) with the
 * loop unrolled, for the tight bounds EVA prints; and every length up to
 * 65536 with the loop not unrolled, for the absence of overflow at GPT-2's
 * shapes (C 1600, 4C 6400, the unembedding's OC 50257, N = B·T 16384): the
 * sum widens to the hint ±1e30 in matmul.c, where one more term (|term| ≤
 * 1e7) rounds back to the bound, so EVA needs no count (its bound is that
 * threshold, not the n·1e7 of the counted argument).
 * domain: forward: reduction length C in [1, 1024], and C = 3072, unrolled; C in [1, 65536] not unrolled; N = OC = 1
 * domain: |inp| <= 1e4, |weight| <= 1e3, |bias| <= 1e3
 * domain: backward dinp: reduction length OC in [1, 1024] unrolled, and OC in [1, 65536] (the unembedding's 50257) not unrolled; N = C = 1
 * domain: backward dweight, dbias: reduction length N (rows) in [1, 1024] unrolled, and N in [1, 65536] (B·T up to 16384 and beyond) not unrolled; C = OC = 1
 * domain: backward: |dout| <= 1e4, |inp| <= 1e4, |weight| <= 1e3; dinp, dweight, dbias within +-1e30 on entry (zeroed, plus earlier micro-batches: see verify/README.md)
 */
/* eva-auto-loop-unroll: 3100 */
#include "__fc_builtin.h"
#include "kernels/domain.h"
#include "kernels/matmul.h"

#define LMAX 1024     /* unrolled */
#define C_GPT2 3072
#define LONG_MAX_LEN 65536 /* not unrolled */
static float inp[LONG_MAX_LEN], weight[LONG_MAX_LEN], dout[LONG_MAX_LEN], bias[1], out[1];
static float dinp[LONG_MAX_LEN], dweight[LONG_MAX_LEN], dbias[LONG_MAX_LEN];

static void fill(float *x, int n, float lo, float hi)
{
    /*@ loop unroll 0; */
    for (int i = 0; i < n; i++) {
        x[i] = Frama_C_float_interval(lo, hi);
    }
}

static void forward(int C)
{
    fill(inp, C, -DOMAIN_MAX_ABS_ACT, DOMAIN_MAX_ABS_ACT);
    fill(weight, C, -DOMAIN_MAX_ABS_WEIGHT, DOMAIN_MAX_ABS_WEIGHT);
    fill(bias, 1, -DOMAIN_MAX_ABS_WEIGHT, DOMAIN_MAX_ABS_WEIGHT);
    matmul_forward_ref(out, inp, weight, bias, 1, C, 1);
}

static void backward_dinp(int OC)
{
    fill(dout, OC, -DOMAIN_MAX_ABS_GRAD, DOMAIN_MAX_ABS_GRAD);
    fill(weight, OC, -DOMAIN_MAX_ABS_WEIGHT, DOMAIN_MAX_ABS_WEIGHT);
    fill(inp, 1, -DOMAIN_MAX_ABS_ACT, DOMAIN_MAX_ABS_ACT);
    fill(dinp, 1, -DOMAIN_MAX_ABS_ACC, DOMAIN_MAX_ABS_ACC);
    fill(dweight, OC, -DOMAIN_MAX_ABS_ACC, DOMAIN_MAX_ABS_ACC); /* dweight is [OC, C] */
    matmul_backward_ref(dinp, dweight, (float *)0, dout, inp, weight, 1, 1, OC);
}

static void backward_dweight(int N)
{
    fill(dout, N, -DOMAIN_MAX_ABS_GRAD, DOMAIN_MAX_ABS_GRAD);
    fill(inp, N, -DOMAIN_MAX_ABS_ACT, DOMAIN_MAX_ABS_ACT);
    fill(weight, 1, -DOMAIN_MAX_ABS_WEIGHT, DOMAIN_MAX_ABS_WEIGHT);
    fill(dinp, N, -DOMAIN_MAX_ABS_ACC, DOMAIN_MAX_ABS_ACC);
    fill(dweight, 1, -DOMAIN_MAX_ABS_ACC, DOMAIN_MAX_ABS_ACC);
    fill(dbias, 1, -DOMAIN_MAX_ABS_ACC, DOMAIN_MAX_ABS_ACC);
    matmul_backward_ref(dinp, dweight, dbias, dout, inp, weight, N, 1, 1);
}

int main(void)
{
    forward(Frama_C_interval(1, LMAX));
    Frama_C_show_each_forward_out_C_upto_1024(out[0]);
    forward(C_GPT2);
    Frama_C_show_each_forward_out_C_3072(out[0]);
    backward_dinp(Frama_C_interval(1, LMAX));
    Frama_C_show_each_backward_dinp_OC_upto_1024(dinp[0]);
    backward_dweight(Frama_C_interval(1, LMAX));
    Frama_C_show_each_backward_dweight_N_upto_1024(dweight[0]);
    Frama_C_show_each_backward_dbias_N_upto_1024(dbias[0]);
    /* every length, loops not unrolled (above 3100 EVA does not unroll) */
    forward(Frama_C_interval(LMAX + 1, LONG_MAX_LEN));
    Frama_C_show_each_forward_out_C_upto_65536(out[0]);
    backward_dinp(Frama_C_interval(LMAX + 1, LONG_MAX_LEN));
    Frama_C_show_each_backward_dinp_OC_upto_65536(dinp[0]);
    backward_dweight(Frama_C_interval(LMAX + 1, LONG_MAX_LEN));
    Frama_C_show_each_backward_dweight_N_upto_65536(dweight[0]);
    Frama_C_show_each_backward_dbias_N_upto_65536(dbias[0]);
    return 0;
}
