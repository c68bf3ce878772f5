/* EVA harness: adamw.c.
 * domain: adamw_update: n in [1, 1024] unrolled, and n in [1, 2^31 - 1] (every int n: wte of gpt2-xl is 80.4M) not unrolled: m and v widen to the hints in adamw.c (|m| <= 2e7, 0 <= v <= 2e11, where one more element's update rounds back below the bound), param to +-FLT_MAX (finite, nothing tighter: a step <= 2e16 rounds back there); |param|, |grad|, |m| <= 1e4; 0 <= v <= 1e8; lr in [0, 1e-2]; beta1, beta2 in [0, 0.999]; eps in [1e-8, 1e-6]; weight_decay in [0, 0.1]; step in [1, 10^7]
 * domain: adamw_sum_of_squares: n in [1, 1024], |x| <= 1e4 (the sum is a reduction: its loop is unrolled, for its bound); and n in [1, 2^31 - 1] (every int n), |x| <= 1e4, the loop not unrolled: the double sum is widened to [0, 3.4e38], where adding a term <= 1e8 rounds back to the bound, so no overflow for any n (the bound itself is no better than that: n·1e8 <= 2.2e17 is the counted argument's)
 * domain: adamw_clip_coefficient: 0 <= norm <= 1e30, max_norm in [1e-3, 1e3]
 * domain: adamw_scale_in_place: n in [1, 2^31 - 1] (every int n), |x| <= 1e30, factor in [0, 1] (elementwise and contracting: the loop is not unrolled)
 */
/* eva-auto-loop-unroll: 1100 */
#include "__fc_builtin.h"
#include "kernels/domain.h"
#include "kernels/adamw.h"

#define NMAX 1024
#define NALL 2147483647 /* every int n: the gradients of gpt2-xl are 1557611200 */
static float param[NMAX], grad[NMAX], m[NMAX], v[NMAX], all[NALL];
static float param_all[NALL], m_all[NALL], v_all[NALL];

int main(void)
{
    int n = Frama_C_interval(1, NMAX);
    /*@ loop unroll 0; */
    for (int i = 0; i < NMAX; i++) {
        param[i] = Frama_C_float_interval(-DOMAIN_ADAM_MAX_ABS, DOMAIN_ADAM_MAX_ABS);
        grad[i] = Frama_C_float_interval(-DOMAIN_ADAM_MAX_ABS, DOMAIN_ADAM_MAX_ABS);
        m[i] = Frama_C_float_interval(-DOMAIN_ADAM_MAX_ABS, DOMAIN_ADAM_MAX_ABS);
        v[i] = Frama_C_float_interval(0.0f, DOMAIN_ADAM_MAX_V);
    }
    float lr = Frama_C_float_interval(0.0f, DOMAIN_ADAM_MAX_LR);
    float beta1 = Frama_C_float_interval(0.0f, DOMAIN_ADAM_MAX_BETA);
    float beta2 = Frama_C_float_interval(0.0f, DOMAIN_ADAM_MAX_BETA);
    float eps = Frama_C_float_interval(DOMAIN_ADAM_MIN_EPS, DOMAIN_ADAM_MAX_EPS);
    float wd = Frama_C_float_interval(0.0f, DOMAIN_ADAM_MAX_WD);
    int step = Frama_C_interval(1, DOMAIN_ADAM_MAX_STEP);
    adamw_settings s = {.lr = lr, .beta1 = beta1, .beta2 = beta2, .eps = eps, .weight_decay = wd};
    adamw_update(param, grad, m, v, n, &s, step);
    Frama_C_show_each_update_param(param[Frama_C_interval(0, n - 1)]);
    Frama_C_show_each_update_m(m[Frama_C_interval(0, n - 1)]);
    Frama_C_show_each_update_v(v[Frama_C_interval(0, n - 1)]);

    double ss = adamw_sum_of_squares(grad, n);
    Frama_C_show_each_sum_of_squares(ss);
    /*@ loop unroll 0; */
    for (int i = 0; i < NALL; i++) {
        all[i] = Frama_C_float_interval(-DOMAIN_ADAM_MAX_ABS, DOMAIN_ADAM_MAX_ABS);
    }
    int n_all = Frama_C_interval(1, NALL);
    /*@ loop unroll 0; */
    for (int i = 0; i < NALL; i++) {
        param_all[i] = Frama_C_float_interval(-DOMAIN_ADAM_MAX_ABS, DOMAIN_ADAM_MAX_ABS);
        m_all[i] = Frama_C_float_interval(-DOMAIN_ADAM_MAX_ABS, DOMAIN_ADAM_MAX_ABS);
        v_all[i] = Frama_C_float_interval(0.0f, DOMAIN_ADAM_MAX_V);
    }
    adamw_update(param_all, all, m_all, v_all, n_all, &s, step);
    Frama_C_show_each_update_any_n_param(param_all[Frama_C_interval(0, n_all - 1)]);
    Frama_C_show_each_update_any_n_m(m_all[Frama_C_interval(0, n_all - 1)]);
    Frama_C_show_each_update_any_n_v(v_all[Frama_C_interval(0, n_all - 1)]);
    double ss_all = adamw_sum_of_squares(all, n_all);
    Frama_C_show_each_sum_of_squares_any_n(ss_all);

    double norm = Frama_C_double_interval(0.0, DOMAIN_CLIP_MAX_NORM);
    float max_norm = Frama_C_float_interval(DOMAIN_CLIP_MIN, DOMAIN_CLIP_MAX);
    float coef = adamw_clip_coefficient(norm, max_norm);
    Frama_C_show_each_clip_coefficient(coef);

    /*@ loop unroll 0; */
    for (int i = 0; i < NALL; i++) {
        all[i] = Frama_C_float_interval(-DOMAIN_MAX_ABS_ACC, DOMAIN_MAX_ABS_ACC);
    }
    float factor = Frama_C_float_interval(0.0f, 1.0f);
    adamw_scale_in_place(all, n_all, factor);
    Frama_C_show_each_scale_in_place(all[Frama_C_interval(0, n_all - 1)]);
    return 0;
}
