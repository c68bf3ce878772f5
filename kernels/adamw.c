/* adamw: AdamW update and gradient clipping helpers. */
#include "kernels/adamw.h"
#include <math.h>
#include "kernels/libm_spec.h"

/* r·beta with its range, proved in a context of its own. */
/*@ requires 0 <= r <= 1 && 0 <= beta < 1;
  @ assigns \nothing;
  @ ensures value: \result == r * beta;
  @ ensures range: 0 <= \result <= r && \result <= beta;
  @*/
static double scaled_power(double r, double beta)
{
    return r * beta;
}

/* beta^e for an integer e ≥ 1, multiplied out in double: e products, each
 * rounded to double (relative error ≤ e·2⁻⁵³, far below float round-off for
 * any step count a run reaches; PyTorch computes beta**step in double too). */
/*@ requires args: 0 <= beta < 1 && 1 <= e;
  @ assigns \nothing;
  @ ensures value: \result == adamw_pow(beta, e);
  @ ensures range: 0 <= \result < 1;
  @*/
static double pow_step(double beta, int e)
{
    double result = beta; /* e ≥ 1: start from beta^1 */
    /*@ loop invariant 1 <= k <= e;
      @ loop invariant value: result == adamw_pow(beta, k);
      @ loop invariant range: 0 <= result <= beta;
      @ loop assigns k, result;
      @ loop variant e - k;
      @*/
    for (int k = 1; k < e; k++) {
        result = scaled_power(result, beta);
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

/* One element's update, each value proved in a context of its own (the
 * provers' nonlinear arithmetic fails inside the loop). The float operations
 * and their order are those of torch.optim.AdamW. */
/*@ requires one_minus: omb1 == 1.0 - beta1;
  @ assigns \nothing;
  @ ensures value: \result == adamw_m(m, g, beta1);
  @*/
static float adamw_moment1(float m, float g, float beta1, float omb1)
{
    return m * beta1 + omb1 * g;
}

/*@ requires one_minus: omb2 == 1.0 - beta2;
  @ requires signs: v >= 0 && 0 <= beta2 < 1;
  @ assigns \nothing;
  @ ensures value: \result == adamw_v(v, g, beta2);
  @ ensures nonneg: \result >= 0;
  @*/
static float adamw_moment2(float v, float g, float beta2, float omb2)
{
    return scaled_product(v, beta2) + scaled_square(omb2, g);
}

/*@ requires signs: v1 >= 0 && bc2_sqrt > 0 && eps > 0;
  @ assigns errno;
  @ ensures value: \result ==
  @   (p * decay) - step_size * (m1 / (\sqrt(v1) / bc2_sqrt + eps));
  @*/
static float adamw_param_step(float p, float m1, float v1, float decay, float step_size,
                              float bc2_sqrt, float eps)
{
    float decayed = p * decay;
    float denom = sqrtf(v1) / bc2_sqrt + eps;
    return decayed - step_size * (m1 / denom);
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
    //@ assert bc1: bias_correction1 == 1.0 - adamw_pow(\at(s->beta1, Pre), step);
    //@ assert bc2: bias_correction2_sqrt == \sqrt(1.0 - adamw_pow(\at(s->beta2, Pre), step));
    //@ assert decay_value: decay == 1.0 - lr * weight_decay;
    //@ assert step_value: step_size == lr / (1.0 - adamw_pow(beta1, step));
    /* for EVA, whose joined in-place arrays carry each element's update into
     * the next: m and v are stable at these thresholds (0.999·2e7 + 1e4 and
     * 0.999·2e11 + 1e8 round below them) whatever n; param widens to ±FLT_MAX,
     * where a step (≤ 2e16) rounds back (verify/README.md) */
    /*@ widen_hints "all", -2e7, 2e7, 2e11; */
    /*@ loop invariant 0 <= i <= n;
      @ loop invariant v_pos: \forall integer j; 0 <= j < i ==> v[j] >= 0;
      @ loop invariant m_done: \forall integer j; 0 <= j < i ==>
      @   m[j] == adamw_m(\at(m[j], Pre), \at(grad[j], Pre), beta1);
      @ loop invariant v_done: \forall integer j; 0 <= j < i ==>
      @   v[j] == adamw_v(\at(v[j], Pre), \at(grad[j], Pre), beta2);
      @ loop invariant param_done: \forall integer j; 0 <= j < i ==>
      @   param[j] == adamw_param{Pre}(s, \at(param[j], Pre),
      @                                adamw_m(\at(m[j], Pre), \at(grad[j], Pre), beta1),
      @                                adamw_v(\at(v[j], Pre), \at(grad[j], Pre), beta2), step);
      @ loop invariant todo: \forall integer j; i <= j < n ==>
      @   v[j] == \at(v[j], Pre) && m[j] == \at(m[j], Pre) && param[j] == \at(param[j], Pre);
      @ loop assigns i, param[0 .. n-1], m[0 .. n-1], v[0 .. n-1], errno;
      @ loop variant n - i;
      @*/
    for (int i = 0; i < n; i++) {
        float g = grad[i];
        float p_old = param[i];
        float mi = adamw_moment1(m[i], g, beta1, one_minus_beta1);
        //@ assert v_old_pos: v[i] >= 0;
        float vi = adamw_moment2(v[i], g, beta2, one_minus_beta2);
        float pi = adamw_param_step(p_old, mi, vi, decay, step_size, bias_correction2_sqrt, eps);
        //@ assert param_i: pi == adamw_param{Pre}(s, p_old, mi, vi, step);
        param[i] = pi;
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
