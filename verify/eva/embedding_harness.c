/* EVA harness: embedding.c.
 * domain: B = 1, T in [1, 8] positions, C in [1, 8] channels, V = 16 tokens, maxT = 8 (forward: one addition per output, whatever the sizes)
 * domain: |wte|, |wpe| <= 1e37 (forward: one addition per output)
 * domain: backward: |dout| <= 1e4; dwte, dwpe within +-1e30 on entry (a row of dwte receives one addition per occurrence of its token, at most B*T)
 */
/* eva-auto-loop-unroll: 10 */
#include "__fc_builtin.h"
#include "kernels/domain.h"
#include "kernels/embedding.h"

#define TMAX 8
#define CMAX 8
#define VOCAB 16
static float wte[VOCAB * CMAX], wpe[TMAX * CMAX], out[TMAX * CMAX], dout[TMAX * CMAX];
static float dwte[VOCAB * CMAX], dwpe[TMAX * CMAX];
static int tokens[TMAX];

int main(void)
{
    int T = Frama_C_interval(1, TMAX);
    int C = Frama_C_interval(1, CMAX);
    /*@ loop unroll 0; */
    for (int i = 0; i < VOCAB * CMAX; i++) {
        wte[i] = Frama_C_float_interval(-DOMAIN_MAX_ABS_EMBED, DOMAIN_MAX_ABS_EMBED);
        dwte[i] = Frama_C_float_interval(-DOMAIN_MAX_ABS_ACC, DOMAIN_MAX_ABS_ACC);
    }
    /*@ loop unroll 0; */
    for (int i = 0; i < TMAX * CMAX; i++) {
        wpe[i] = Frama_C_float_interval(-DOMAIN_MAX_ABS_EMBED, DOMAIN_MAX_ABS_EMBED);
        dout[i] = Frama_C_float_interval(-DOMAIN_MAX_ABS_GRAD, DOMAIN_MAX_ABS_GRAD);
        dwpe[i] = Frama_C_float_interval(-DOMAIN_MAX_ABS_ACC, DOMAIN_MAX_ABS_ACC);
    }
    /*@ loop unroll 0; */
    for (int t = 0; t < TMAX; t++) {
        tokens[t] = Frama_C_interval(0, VOCAB - 1);
    }
    embedding_forward(out, tokens, wte, wpe, 1, T, C, VOCAB, TMAX);
    Frama_C_show_each_forward_out(out[Frama_C_interval(0, T * C - 1)]);
    embedding_backward(dwte, dwpe, dout, tokens, 1, T, C, VOCAB, TMAX);
    Frama_C_show_each_backward_dwte(dwte[Frama_C_interval(0, VOCAB * C - 1)]);
    Frama_C_show_each_backward_dwpe(dwpe[Frama_C_interval(0, T * C - 1)]);
    return 0;
}
