/* EVA harness: gelu.c (tanh through expf, argument clamped to ±10).
 * domain: N in [1, 4096] elements (elementwise)
 * domain: |x| <= 1e4 (GPT-2 MLP pre-activations stay within a few hundred)
 * domain: backward: |dout| <= 1e4, |dinp| <= 1e30 on entry
 */
/* eva-auto-loop-unroll: 0 */
#include "__fc_builtin.h"
#include "kernels/gelu.h"

#define NMAX 4096
static float inp[NMAX], out[NMAX], dout[NMAX], dinp[NMAX];

int main(void)
{
    int N = Frama_C_interval(1, NMAX);
    /*@ loop unroll 0; */
    for (int i = 0; i < NMAX; i++) {
        inp[i] = Frama_C_float_interval(-1e4f, 1e4f);
        dout[i] = Frama_C_float_interval(-1e4f, 1e4f);
        dinp[i] = Frama_C_float_interval(-1e30f, 1e30f);
    }
    gelu_forward(out, inp, N);
    Frama_C_show_each_forward_out(out[Frama_C_interval(0, N - 1)]);
    gelu_backward(dinp, inp, dout, N);
    Frama_C_show_each_backward_dinp(dinp[Frama_C_interval(0, N - 1)]);
    return 0;
}
