/* EVA harness: embedding.c, at GPT-2's shapes. The loops are not unrolled:
 * the forward writes each output once from two inputs; the backward's
 * accumulators stay within their entry bound, since |dwte| <= 1e30 plus a
 * |dout| <= 1e4 rounds back to 1e30 (float spacing there is 7.6e22), however
 * many tokens add into one row.
 * domain: B in [1, 16], T in [1, 1024] positions (B*T up to 16384, the recipes' micro-batch), C in [1, 1600] channels, V = 50257 tokens, maxT = 1024
 * domain: |wte|, |wpe| <= 1e37 (forward: one addition per output)
 * domain: backward: |dout| <= 1e4; dwte, dwpe within +-1e30 on entry (a row of dwte receives one addition per occurrence of its token, at most B*T)
 */
/* eva-auto-loop-unroll: 10 */
#include "__fc_builtin.h"
#include "kernels/domain.h"
#include "kernels/embedding.h"

#define BMAX 16
#define TMAX 1024
#define CMAX 1600
#define VOCAB 50257
static float wte[VOCAB * CMAX], wpe[TMAX * CMAX], out[BMAX * TMAX * CMAX], dout[BMAX * TMAX * CMAX];
static float dwte[VOCAB * CMAX], dwpe[TMAX * CMAX];
static int tokens[BMAX * TMAX];

int main(void)
{
    int B = Frama_C_interval(1, BMAX);
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
        dwpe[i] = Frama_C_float_interval(-DOMAIN_MAX_ABS_ACC, DOMAIN_MAX_ABS_ACC);
    }
    /*@ loop unroll 0; */
    for (int i = 0; i < BMAX * TMAX * CMAX; i++) {
        dout[i] = Frama_C_float_interval(-DOMAIN_MAX_ABS_GRAD, DOMAIN_MAX_ABS_GRAD);
    }
    /*@ loop unroll 0; */
    for (int t = 0; t < BMAX * TMAX; t++) {
        tokens[t] = Frama_C_interval(0, VOCAB - 1);
    }
    embedding_forward(out, tokens, wte, wpe, B, T, C, VOCAB, TMAX);
    Frama_C_show_each_forward_out(out[Frama_C_interval(0, B * T * C - 1)]);
    embedding_backward(dwte, dwpe, dout, tokens, B, T, C, VOCAB, TMAX);
    Frama_C_show_each_backward_dwte(dwte[Frama_C_interval(0, VOCAB * C - 1)]);
    Frama_C_show_each_backward_dwpe(dwpe[Frama_C_interval(0, T * C - 1)]);
    return 0;
}
