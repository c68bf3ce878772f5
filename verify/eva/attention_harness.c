/* EVA harness: attention.c. One sequence and one head (sequences and heads are
 * computed independently and the same way).
 * domain: B = 1, NH = 1, T in [1, 8] positions, head size hs = C in [1, 8]
 * domain: |q|, |k|, |v| <= 1e4 (GPT-2 small's q, k, v entries stay within a few tens)
 * domain: backward: |dout| <= 1e4; dq, dk, dv within +-1e30 on entry; att from the forward
 * domain: NOT covered: GPT-2's T up to 1024 and head size 64 (the nested loops over positions and channels are unrolled, and EVA's cost grows too fast with them for the time budget; see verify/README.md); with hs <= 8 the dot product runs its tail loop only, not its 16-lane loop
 */
/* eva-auto-loop-unroll: 16 */
#include "__fc_builtin.h"
#include "kernels/domain.h"
#include "kernels/attention.h"

#define TMAX 8
#define CMAX 8
static float q[TMAX * CMAX], k[TMAX * CMAX], v[TMAX * CMAX], out[TMAX * CMAX];
static float att[TMAX * TMAX], scratch[TMAX];
static float dout[TMAX * CMAX], dq[TMAX * CMAX], dk[TMAX * CMAX], dv[TMAX * CMAX];

int main(void)
{
    int T = Frama_C_interval(1, TMAX);
    int C = Frama_C_interval(1, CMAX);
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
    attention_forward(out, att, q, k, v, 1, T, C, 1);
    Frama_C_show_each_forward_out(out[Frama_C_interval(0, T * C - 1)]);
    Frama_C_show_each_forward_att(att[Frama_C_interval(0, T * T - 1)]);
    attention_backward(dq, dk, dv, scratch, dout, att, q, k, v, 1, T, C, 1);
    Frama_C_show_each_backward_dq(dq[Frama_C_interval(0, T * C - 1)]);
    Frama_C_show_each_backward_dk(dk[Frama_C_interval(0, T * C - 1)]);
    Frama_C_show_each_backward_dv(dv[Frama_C_interval(0, T * C - 1)]);
    return 0;
}
