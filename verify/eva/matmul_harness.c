/* EVA harness: matmul.c (the plain-C reference loops; the BLAS path's sgemm is
 * assumed, see verify/README.md).
 * Every output element is one reduction of the same form, so each call below
 * takes one reduction dimension and sets the others to 1. Each reduction length
 * is analysed over the interval [1, 1024] (EVA's cost grows with the square of
 * the unrolled length, so longer ones do not fit the time budget), and the
 * forward once more at C = 3072, GPT-2 small's MLP projection.
 * domain: forward: reduction length C in [1, 1024], and C = 3072; N = OC = 1
 * domain: |inp| <= 1e4, |weight| <= 1e3, |bias| <= 1e3
 * domain: backward dinp: reduction length OC in [1, 1024] (NOT the unembedding's OC = 50257); N = C = 1
 * domain: backward dweight, dbias: reduction length N (rows) in [1, 1024] (NOT longer batches); C = OC = 1
 * domain: backward: |dout| <= 1e4, |inp| <= 1e4, |weight| <= 1e3; dinp, dweight, dbias within +-1e30 on entry
 */
/* eva-auto-loop-unroll: 3100 */
#include "__fc_builtin.h"
#include "kernels/domain.h"
#include "kernels/matmul.h"

#define LMAX 1024
#define C_GPT2 3072
#define OC_GPT2 50257
#define N_GPT2 8192
static float inp[OC_GPT2], weight[OC_GPT2], dout[OC_GPT2], bias[1], out[1];
static float dinp[N_GPT2], dweight[OC_GPT2], dbias[OC_GPT2];

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
    return 0;
}
