/* EVA harness: residual.c.
 * The kernel has no reduction: each output is one addition.
 * domain: N in [1, 64] elements (elementwise: every element is computed the same way; the loops are unrolled so that each += is tracked per element)
 * domain: |a|, |b| <= 1e38 (forward); |dout| <= 1e38 and |da|, |db| <= 1e38 on entry (backward)
 */
/* eva-auto-loop-unroll: 70 */
#include "__fc_builtin.h"
#include "kernels/residual.h"

#define NMAX 64
static float a[NMAX], b[NMAX], out[NMAX], dout[NMAX], da[NMAX], db[NMAX];

int main(void)
{
    int N = Frama_C_interval(1, NMAX);
    /*@ loop unroll 0; */
    for (int i = 0; i < NMAX; i++) {
        a[i] = Frama_C_float_interval(-1e38f, 1e38f);
        b[i] = Frama_C_float_interval(-1e38f, 1e38f);
        dout[i] = Frama_C_float_interval(-1e38f, 1e38f);
        da[i] = Frama_C_float_interval(-1e38f, 1e38f);
        db[i] = Frama_C_float_interval(-1e38f, 1e38f);
    }
    residual_forward(out, a, b, N);
    Frama_C_show_each_forward_out(out[Frama_C_interval(0, N - 1)]);
    residual_backward(da, db, dout, N);
    Frama_C_show_each_backward_da(da[Frama_C_interval(0, N - 1)]);
    Frama_C_show_each_backward_db(db[Frama_C_interval(0, N - 1)]);
    return 0;
}
