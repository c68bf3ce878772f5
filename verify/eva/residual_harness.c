/* EVA harness: residual.c.
 * The kernel has no reduction: each output is one addition.
 * domain: N in [1, 64] elements (elementwise: every element is computed the same way; the loops are unrolled so that each += is tracked per element)
 * domain: |a|, |b| <= 1e38 (forward); |dout| <= 1e38 and |da|, |db| <= 1e38 on entry (backward)
 * domain: and N in [1, 26214400] elements (B·T·C for gpt2-xl at B·T = 16384): |a|, |b| <= 1e38 (forward); |dout| <= 1e4 and |da|, |db| <= 1e30 on entry (backward; past the first 70 elements EVA summarises the arrays, and an entry bound it can carry through a summary is one the additions do not grow)
 */
/* eva-auto-loop-unroll: 70 */
#include "__fc_builtin.h"
#include "kernels/domain.h"
#include "kernels/residual.h"

#define NMAX 64
static float a[NMAX], b[NMAX], out[NMAX], dout[NMAX], da[NMAX], db[NMAX];
#define NBIG 26214400
static float big_a[NBIG], big_b[NBIG], big_out[NBIG], big_dout[NBIG], big_da[NBIG], big_db[NBIG];

/* the sizes GPT-2 XL runs at */
static void large(void)
{
    int N = Frama_C_interval(1, NBIG);
    /*@ loop unroll 0; */
    for (int i = 0; i < NBIG; i++) {
        big_a[i] = Frama_C_float_interval(-DOMAIN_MAX_ABS_RESIDUAL, DOMAIN_MAX_ABS_RESIDUAL);
        big_b[i] = Frama_C_float_interval(-DOMAIN_MAX_ABS_RESIDUAL, DOMAIN_MAX_ABS_RESIDUAL);
        big_dout[i] = Frama_C_float_interval(-DOMAIN_MAX_ABS_GRAD, DOMAIN_MAX_ABS_GRAD);
        big_da[i] = Frama_C_float_interval(-DOMAIN_MAX_ABS_ACC, DOMAIN_MAX_ABS_ACC);
        big_db[i] = Frama_C_float_interval(-DOMAIN_MAX_ABS_ACC, DOMAIN_MAX_ABS_ACC);
    }
    residual_forward(big_out, big_a, big_b, N);
    Frama_C_show_each_large_forward_out(big_out[Frama_C_interval(0, N - 1)]);
    residual_backward(big_da, big_db, big_dout, N);
    Frama_C_show_each_large_backward_da(big_da[Frama_C_interval(0, N - 1)]);
}

int main(void)
{
    int N = Frama_C_interval(1, NMAX);
    /*@ loop unroll 0; */
    for (int i = 0; i < NMAX; i++) {
        a[i] = Frama_C_float_interval(-DOMAIN_MAX_ABS_RESIDUAL, DOMAIN_MAX_ABS_RESIDUAL);
        b[i] = Frama_C_float_interval(-DOMAIN_MAX_ABS_RESIDUAL, DOMAIN_MAX_ABS_RESIDUAL);
        dout[i] = Frama_C_float_interval(-1e38f, 1e38f);
        da[i] = Frama_C_float_interval(-1e38f, 1e38f);
        db[i] = Frama_C_float_interval(-1e38f, 1e38f);
    }
    residual_forward(out, a, b, N);
    Frama_C_show_each_forward_out(out[Frama_C_interval(0, N - 1)]);
    residual_backward(da, db, dout, N);
    Frama_C_show_each_backward_da(da[Frama_C_interval(0, N - 1)]);
    Frama_C_show_each_backward_db(db[Frama_C_interval(0, N - 1)]);
    large();
    return 0;
}
