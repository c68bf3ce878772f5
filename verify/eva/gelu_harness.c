/* EVA harness: gelu.c (tanh through expf, argument clamped to ±10).
 * domain: N in [1, 104857600] elements (elementwise; 104857600 = B·T·4C for gpt2-xl at B·T = 16384, the largest call the model makes; the loops are not unrolled, so EVA's cost does not grow with N)
 * domain: |x| <= 1e4 (GPT-2 MLP pre-activations stay within a few hundred)
 * domain: backward: |dout| <= 1e4, |dinp| <= 1e30 on entry
 */
/* eva-auto-loop-unroll: 0 */
#include "__fc_builtin.h"
#include "kernels/domain.h"
#include "kernels/gelu.h"

#define NMAX 104857600
static float inp[NMAX], out[NMAX], dout[NMAX], dinp[NMAX];

int main(void)
{
    int N = Frama_C_interval(1, NMAX);
    /*@ loop unroll 0; */
    for (int i = 0; i < NMAX; i++) {
        inp[i] = Frama_C_float_interval(-DOMAIN_MAX_ABS_ACT, DOMAIN_MAX_ABS_ACT);
        dout[i] = Frama_C_float_interval(-DOMAIN_MAX_ABS_GRAD, DOMAIN_MAX_ABS_GRAD);
        dinp[i] = Frama_C_float_interval(-DOMAIN_MAX_ABS_ACC, DOMAIN_MAX_ABS_ACC);
    }
    gelu_forward(out, inp, N);
    Frama_C_show_each_forward_out(out[Frama_C_interval(0, N - 1)]);
    gelu_backward(dinp, inp, dout, N);
    Frama_C_show_each_backward_dinp(dinp[Frama_C_interval(0, N - 1)]);
    return 0;
}
