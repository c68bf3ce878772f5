/* adamw: AdamW update and gradient clipping helpers. */
#include "kernels/adamw.h"
#include <math.h>

/* beta^e for an integer e ≥ 1 by binary exponentiation in double (as exact
 * as libm's pow to a few ulp of double, far below float round-off). Its
 * contract bounds the result in [0, 1), so that 1 − beta^e > 0. */
/*@ requires args: 0 <= beta < 1 && 1 <= e;
  @ assigns \nothing;
  @ ensures range: 0 <= \result < 1;
  @*/
static double pow_step(double beta, int e)
{
    double result = beta; /* e ≥ 1: start from beta^1 */
    double base = beta;
    int rest = e - 1;
    /*@ loop invariant 0 <= rest < e;
      @ loop invariant 0 <= base < 1;
      @ loop invariant 0 <= result < 1;
      @ loop assigns rest, base, result;
      @ loop variant rest;
      @*/
    while (rest > 0) {
        if (rest % 2 == 1) {
            result *= base;
        }
        base *= base;
        rest /= 2;
    }
    return result;
}

/* a·b and a·g·g (in that order), with their signs proved in a context of
 * their own: the provers' nonlinear arithmetic fails inside the update loop. */
/*@ assigns \nothing;
  @ ensures value: \result == a * b;
  @ ensures sign: a >= 0 && b >= 0 ==> \result >= 0;
  @*/
static float scaled_product(float a, float b)
{
    return a * b;
}

/*@ assigns \nothing;
  @ ensures value: \result == a * g * g;
  @ ensures sign: a >= 0 ==> \result >= 0;
  @*/
static float scaled_square(float a, float g)
{
    return a * g * g;
}

void adamw_update(float *param, const float *grad, float *m, float *v, int n,
                  const adamw_settings *s, int step)
{
    float lr = s->lr, beta1 = s->beta1, beta2 = s->beta2, eps = s->eps;
    float weight_decay = s->weight_decay;
    /* scalars in double, as PyTorch computes them in Python floats */
    double bias_correction1 = 1.0 - pow_step((double)beta1, step);
    double bias_correction2 = 1.0 - pow_step((double)beta2, step);
    float step_size = (float)((double)lr / bias_correction1);
    float bias_correction2_sqrt = (float)sqrt(bias_correction2);
    float decay = (float)(1.0 - (double)lr * (double)weight_decay);
    float one_minus_beta1 = (float)(1.0 - (double)beta1);
    float one_minus_beta2 = (float)(1.0 - (double)beta2);
    //@ assert step_size_pos: step_size > 0 || lr == 0;
    //@ assert bc2_pos: bias_correction2_sqrt > 0;
    /*@ loop invariant 0 <= i <= n;
      @ loop invariant v_pos: \forall integer j; 0 <= j < i ==> v[j] >= 0;
      @ loop invariant todo: \forall integer j; i <= j < n ==> v[j] == \at(v[j], Pre);
      @ loop assigns i, param[0 .. n-1], m[0 .. n-1], v[0 .. n-1];
      @ loop variant n - i;
      @*/
    for (int i = 0; i < n; i++) {
        float g = grad[i];
        float p = param[i] * decay;
        float mi = m[i] * beta1 + one_minus_beta1 * g;
        //@ assert v_old_pos: v[i] >= 0;
        float vi = scaled_product(v[i], beta2) + scaled_square(one_minus_beta2, g);
        float denom = sqrtf(vi) / bias_correction2_sqrt + eps;
        param[i] = p - step_size * (mi / denom);
        m[i] = mi;
        v[i] = vi;
    }
}

double adamw_sum_of_squares(const float *x, int n)
{
    double sum = 0.0;
    /*@ loop invariant 0 <= i <= n;
      @ loop invariant sum == lnf_sumsq(x, i);
      @ loop invariant sum >= 0;
      @ loop assigns i, sum;
      @ loop variant n - i;
      @*/
    for (int i = 0; i < n; i++) {
        sum += (double)x[i] * (double)x[i];
    }
    return sum;
}

float adamw_clip_coefficient(double norm, float max_norm)
{
    double coef = (double)max_norm / (norm + 1e-6);
    return coef < 1.0 ? (float)coef : 1.0f;
}

void adamw_scale_in_place(float *x, int n, float factor)
{
    /*@ loop invariant 0 <= i <= n;
      @ loop invariant done: \forall integer j; 0 <= j < i ==> x[j] == \at(x[j], Pre) * factor;
      @ loop invariant todo: \forall integer j; i <= j < n ==> x[j] == \at(x[j], Pre);
      @ loop assigns i, x[0 .. n-1];
      @ loop variant n - i;
      @*/
    for (int i = 0; i < n; i++) {
        x[i] *= factor;
    }
}
