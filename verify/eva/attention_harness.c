/* EVA harness: attention.c at GPT-2's shapes. One sequence (sequences are
 * computed independently and the same way), every head count NH of GPT-2
 * small … XL, each head's size over [1, 64] and every T up to 1024. The loops
 * over positions and channels are not unrolled (only the dot product's 16
 * lanes are): the dot product's lanes and the backward's Σ att·datt widen to
 * the hints in attention.c (±1e16, ±1e25), where one more term rounds back to
 * the bound, so EVA needs no count. The outputs and gradients that accumulate
 * in place (out, dq, dk) widen to ±FLT_MAX without overflow: each term is
 * below half a float spacing there (2^103), so it rounds back. EVA proves them
 * finite, nothing tighter; out is mathematically a convex combination of v.
 * domain: B = 1, NH in {1, 12, 16, 20, 25} (GPT-2 small, medium, large, XL), head size hs in [1, 64], C = NH*hs (up to 1600), T in [1, 1024] positions
 * domain: |q|, |k|, |v| <= 1e4 (GPT-2 small's q, k, v entries stay within a few tens)
 * domain: backward: |dout| <= 1e4; dq, dk, dv within +-1e30 on entry; att in [0, 1] (the forward's softmax weights, each exp(<= 0) <= 1 times 1/sum <= 1; EVA's joined att array of the forward also holds the scores it overwrote, so the backward draws its own)
 */
/* eva-auto-loop-unroll: 16 */
#include "__fc_builtin.h"
#include "kernels/domain.h"
#include "kernels/attention.h"

#define TMAX 1024
#define HSMAX 64
#define NHMAX 25
#define CMAX (NHMAX * HSMAX)
static float q[TMAX * CMAX], k[TMAX * CMAX], v[TMAX * CMAX], out[TMAX * CMAX];
static float att[NHMAX * TMAX * TMAX], att_w[NHMAX * TMAX * TMAX], scratch[TMAX];
static float dout[TMAX * CMAX], dq[TMAX * CMAX], dk[TMAX * CMAX], dv[TMAX * CMAX];

int main(void)
{
    /*@ loop unroll 0; */
    for (int i = 0; i < TMAX * CMAX; i++) {
        q[i] = Frama_C_float_interval(-DOMAIN_MAX_ABS_QKV, DOMAIN_MAX_ABS_QKV);
        k[i] = Frama_C_float_interval(-DOMAIN_MAX_ABS_QKV, DOMAIN_MAX_ABS_QKV);
        v[i] = Frama_C_float_interval(-DOMAIN_MAX_ABS_QKV, DOMAIN_MAX_ABS_QKV);
        dout[i] = Frama_C_float_interval(-DOMAIN_MAX_ABS_GRAD, DOMAIN_MAX_ABS_GRAD);
        dq[i] = Frama_C_float_interval(-DOMAIN_MAX_ABS_ACC, DOMAIN_MAX_ABS_ACC);
        dk[i] = Frama_C_float_interval(-DOMAIN_MAX_ABS_ACC, DOMAIN_MAX_ABS_ACC);
        dv[i] = Frama_C_float_interval(-DOMAIN_MAX_ABS_ACC, DOMAIN_MAX_ABS_ACC);
    }
    /*@ loop unroll 0; */
    for (int i = 0; i < NHMAX * TMAX * TMAX; i++) {
        att_w[i] = Frama_C_float_interval(0.0f, 1.0f);
    }
    /* one analysis per head count: C = NH·hs then carries the congruence
     * that attention_sizes' C % NH == 0 needs */
    static const int head_counts[] = {1, 12, 16, 20, NHMAX};
    /*@ loop unroll 5; */
    for (int i = 0; i < 5; i++) {
        int NH = head_counts[i];
        int T = Frama_C_interval(1, TMAX);
        int C = NH * Frama_C_interval(1, HSMAX);
        attention_forward(out, att, q, k, v, 1, T, C, NH);
        Frama_C_show_each_forward_out(out[Frama_C_interval(0, T * C - 1)]);
        Frama_C_show_each_forward_att(att[Frama_C_interval(0, NH * T * T - 1)]);
        attention_backward(dq, dk, dv, scratch, dout, att_w, q, k, v, 1, T, C, NH);
        Frama_C_show_each_backward_dq(dq[Frama_C_interval(0, T * C - 1)]);
        Frama_C_show_each_backward_dk(dk[Frama_C_interval(0, T * C - 1)]);
        Frama_C_show_each_backward_dv(dv[Frama_C_interval(0, T * C - 1)]);
    }
    return 0;
}
